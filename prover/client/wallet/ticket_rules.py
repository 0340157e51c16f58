"""A note's genesis, its next ticket's one-time key, and the rules for sending a request on
it (pure: no file, no lock).

A new note draws a fresh secret `k` and starts at the genesis opening (PROTOCOL §5). Its next
ticket gets a fresh Ed25519 key (`x = H(pk) ≠ 0`, v3 §8) before any proof of it exists. A request
may be sent on the ticket only while the note is active, unexpired and solvent for the request's
service (§6 rows 2 and 4).
"""

from __future__ import annotations

import secrets

from prover.client.wallet.errors import (
    InsufficientCreditError,
    NoteExpiredError,
    NoteStatusError,
    WalletError,
)
from prover.client.wallet.models import ServiceParams
from prover.client.wallet.note import Note, NoteState, NoteStatus
from prover.client.wallet.replies import ticket_nullifier
from prover.client.wallet.ticket import StoredRequest, Ticket
from prover.crypto import P, RequestFields, TicketKey, commit, genesis_opening, note_id


def fresh_note(service: ServiceParams) -> Note:
    """A created note with a fresh secret k (never reused: each note has its own)."""
    k = 1 + secrets.randbelow(P - 1)  # a fresh k per note; the ledger refuses a known ID
    nid = note_id(k)
    genesis = genesis_opening(k, nid, service.service_id)
    state = NoteState(n=0, C=0, P=0, rho=genesis.rho, E=commit(genesis))
    return Note(id=nid, k=k, service=service, status=NoteStatus.CREATED, state=state)


def refusal(note: Note, service_id: int, today: int) -> WalletError | None:
    """Why `note` cannot bind a new call for `service_id` on day `today`, or None."""
    if note.status is not NoteStatus.ACTIVE:
        return NoteStatusError(f"note {note.id} is {note.status}; it cannot pay", field="status")
    if service_id != note.service.service_id:
        return WalletError("request is for another service than the note's", field="service_id")
    assert note.deposit is not None
    if today > note.deposit.expiry:
        return NoteExpiredError(
            f"day {today} is after the note's expiry {note.deposit.expiry}", field="today"
        )
    if not note.can_pay:
        return InsufficientCreditError(
            f"note {note.id} cannot pay c_max: balance {note.balance} < {note.service.c_max}",
            field="balance",
        )
    return None


def new_ticket(note: Note) -> Ticket:
    """The note's next ticket with a fresh one-time key (`TicketKey.generate` draws again in the
    ≈ 2^-254 case x = 0)."""
    if note.status is not NoteStatus.ACTIVE:
        raise NoteStatusError(f"note {note.id} is {note.status}; it cannot pay", field="status")
    key = TicketKey.generate()
    return Ticket(
        n=note.state.n,
        secret=key.secret,
        pk=key.pk,
        x=key.x,
        nullifier=ticket_nullifier(note.k, note.state.n, note.service.service_id),
    )


def request_for(note: Note, request: RequestFields) -> StoredRequest:
    """`request` as journalled on the note's ticket, or the reason it cannot be sent now."""
    reason = refusal(note, request.service_id, request.today)
    if reason is not None:
        raise reason
    return StoredRequest.of(request)
