"""A note's genesis and the rules for binding its next ticket (pure: no file, no lock).

A new note draws a fresh secret `k` and starts at the genesis opening (PROTOCOL §5). Its next
ticket may be bound to a request only while the note is active, unexpired and solvent for the
request's service (§6 rows 2 and 4), and only to a request whose `x ≠ 0` (§6 row 7, §8).
"""

from __future__ import annotations

import secrets

from prover.client.wallet.errors import (
    InsufficientCreditError,
    NoteExpiredError,
    NoteStatusError,
    WalletError,
)
from prover.client.wallet.models import (
    Note,
    NoteState,
    NoteStatus,
    PendingTicket,
    ServiceParams,
    StoredRequest,
)
from prover.client.wallet.replies import ticket_nullifier
from prover.crypto import P, RequestFields, commit, genesis_opening, note_id
from prover.crypto import request_x as compute_x


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


def new_ticket(note: Note, request: RequestFields, canonical: bytes) -> PendingTicket:
    """The note's next ticket bound to `request` (whose canonical bytes are `canonical`), or
    the reason it cannot be bound."""
    reason = refusal(note, request.service_id, request.today)
    if reason is not None:
        raise reason
    x = compute_x(request)
    if x == 0:
        raise WalletError("request hashes to x = 0; draw a new request id", field="x")
    return PendingTicket(
        note_id=note.id,
        n=note.state.n,
        request=StoredRequest.of(request),
        canonical=canonical,
        x=x,
        nullifier=ticket_nullifier(note.k, note.state.n, note.service.service_id),
    )
