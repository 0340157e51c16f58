"""Requests left in flight (PROTOCOL v3 §6): resend exactly them, take the answer.

A request whose outcome is unknown (a timeout after it was sent, a gateway that died, a broken
stream) stays journalled on its ticket. Before the note pays anything else, the payer resends it
with the same bytes: the gateway then serves it (or replays its stored reply, or settles an
orphan at cost 0) and the note moves on, or refuses it before any reservation (`unreserved`: a
request signed before a UTC midnight, a stale root, …) and the ticket is released for the next
request. Only a gateway that never answers leaves it in flight. The reply body is dropped: the
application that asked gave up on it.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from prover.client.errors import ClientError, GatewayError
from prover.client.payer.attempt import Attempt
from prover.client.wallet import Note, NoteBusyError, NoteStatus

if TYPE_CHECKING:
    from prover.client.payer.payer import Payer


async def settle_note(payer: Payer, note: Note) -> None:
    """Resend the request in flight on `note` (leased by the caller). Returns when nothing is in
    flight any more (answered, or released); raises the gateway's error or
    `GatewayUnreachableError` when it still is."""
    ticket = note.ticket
    assert ticket is not None and ticket.request is not None
    request = ticket.request
    attempt = Attempt(note=note, ticket=ticket)
    await payer.prove(attempt)
    reply = await payer.send(
        attempt, request.method, request.path, request.body, "application/json"
    )
    try:
        payer.check().complete(attempt, reply)
    except GatewayError:
        if payer.wallet.note(note.id).in_flight is not None:
            raise
    if payer.wallet.note(note.id).ticket is None:
        payer.after_reply(note.id)


async def settle_in_flight(payer: Payer) -> list[int]:
    """`settle_note` for every note of the payer's service with a request in flight that no
    one else holds; returns the ids of those left with nothing in flight."""
    settled: list[int] = []
    for note in payer.wallet.notes_in_flight(payer.service_id):
        if note.id in payer.notes.busy or note.status not in (NoteStatus.ACTIVE, NoteStatus.HALTED):
            continue
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(payer.wallet.lease(note.id))
            except NoteBusyError:
                continue
            payer.notes.busy.add(note.id)
            stack.callback(payer.notes.busy.discard, note.id)
            with contextlib.suppress(ClientError):
                await settle_note(payer, payer.wallet.note(note.id))
            if payer.wallet.note(note.id).in_flight is None:
                settled.append(note.id)
    return settled
