"""Pure state machine of the wallet: `apply(contents, record)` checks a record and folds it in.

The same function runs when a record is first written and when the journal is replayed, so a
journal can never hold a transition the wallet would refuse live.
"""

from __future__ import annotations

from typing import Final

from prover.client.wallet.contents import WalletContents
from prover.client.wallet.errors import InvalidTransitionError, UnknownNoteError
from prover.client.wallet.models import ZERO_HASH
from prover.client.wallet.note import Note, NoteStatus
from prover.client.wallet.records import (
    CallCompleted,
    DepositRecorded,
    NoteAdded,
    NoteReplaced,
    Record,
    RequestBound,
    RequestReleased,
    StatusChanged,
    TicketAdopted,
    TicketKeyed,
)
from prover.client.wallet.ticket import StoredRequest, Ticket
from prover.crypto import (
    L,
    TicketKey,
    commit,
    eta,
    note_id,
    nullifier,
    rho0,
    slope,
    x_of_pk,
)
from prover.crypto.commitment import verify_state
from prover.crypto.errors import CryptoError

S = NoteStatus
ALLOWED: Final[dict[NoteStatus, frozenset[NoteStatus]]] = {
    S.CREATED: frozenset(),
    S.ACTIVE: frozenset({S.HALTED, S.EXITING, S.SLASHED}),
    S.HALTED: frozenset({S.EXITING, S.SLASHED}),
    S.EXITING: frozenset({S.CLOSED, S.SLASHED}),
    S.CLOSED: frozenset(),
    S.SLASHED: frozenset(),
}
"""Status changes `StatusChanged` may make (deposit and a penalty are separate records)."""


def _note(contents: WalletContents, nid: int) -> Note:
    note = contents.get(nid)
    if note is None:
        raise UnknownNoteError(f"no note with ID {nid} in the wallet", field="note_id")
    return note


def check_request(note: Note, request: StoredRequest) -> None:
    """A request that can be signed for the note's service (D5 field rules)."""
    try:
        request.fields(note.service.service_id)
    except CryptoError as exc:
        raise InvalidTransitionError(f"request is malformed: {exc}", field="request") from exc


def check_ticket(note: Note, ticket: Ticket) -> None:
    """A ticket is the state's next one; its key, x and nullifier agree (x = H(pk) ≠ 0)."""
    sid = note.service.service_id
    if ticket.n != note.state.n:
        raise InvalidTransitionError(
            f"ticket {ticket.n} is not the next ({note.state.n})", field="n"
        )
    try:
        key = TicketKey.from_secret(ticket.secret)
        x = x_of_pk(ticket.pk)
    except CryptoError as exc:
        raise InvalidTransitionError(f"ticket key is malformed: {exc}", field="pk") from exc
    if key.pk != ticket.pk or x != ticket.x or x == 0:
        raise InvalidTransitionError("ticket key, pk and x do not agree", field="pk")
    if nullifier(slope(note.k, ticket.n, sid)) != ticket.nullifier:
        raise InvalidTransitionError("ticket nullifier is not nullifier_n", field="nullifier")
    if ticket.request is not None:
        check_request(note, ticket.request)


def check_fresh_note(note: Note) -> None:
    """A note added whole: ID = H(TAG_ID, k), E opens to its state, σ verifies, ticket agrees."""
    sid = note.service.service_id
    state = note.state
    if note_id(note.k) != note.id:
        raise InvalidTransitionError("note ID is not H(TAG_ID, k)", field="id")
    if state.n == 0 and state.rho != rho0(note.k, sid):
        raise InvalidTransitionError("genesis blinding is not ρ0 (D3)", field="rho")
    if commit(state.opening(note.id)) != state.E:
        raise InvalidTransitionError("E does not commit to the note's opening", field="E")
    if state.sigma is not None and not verify_state(
        note.service.server_pk, sid, state.E, state.sigma
    ):
        raise InvalidTransitionError(
            "state signature does not verify under server_pk", field="sigma"
        )
    if note.ticket is not None:
        check_ticket(note, note.ticket)
    if (note.status is S.CREATED) != (note.deposit is None):
        raise InvalidTransitionError("a note has a deposit exactly when it is not 'created'")


def _add(contents: WalletContents, note: Note) -> WalletContents:
    if contents.get(note.id) is not None:
        raise InvalidTransitionError(f"note {note.id} is already in the wallet", field="id")
    check_fresh_note(note)
    return contents.with_note(note)


def _replace(contents: WalletContents, note: Note) -> WalletContents:
    old = _note(contents, note.id)
    check_fresh_note(note)
    if note.k != old.k or note.service != old.service:
        raise InvalidTransitionError("a replacement must keep k and the service", field="id")
    if note.state.n <= old.state.n:
        raise InvalidTransitionError("a replacement must move the state forward", field="n")
    return contents.with_note(note)


def _deposit(contents: WalletContents, rec: DepositRecorded) -> WalletContents:
    note = _note(contents, rec.note_id)
    if note.status is not S.CREATED:
        raise InvalidTransitionError(f"note is {note.status}, not created", field="status")
    need = note.service.c_max + note.service.reserve
    if need > rec.deposit.D:
        raise InvalidTransitionError(
            f"deposit {rec.deposit.D} is below the minimum c_max + reserve = {need}", field="D"
        )
    return contents.with_note(note.model_copy(update={"deposit": rec.deposit, "status": S.ACTIVE}))


def _key(contents: WalletContents, rec: TicketKeyed) -> WalletContents:
    note = _note(contents, rec.note_id)
    if note.status is not S.ACTIVE:
        raise InvalidTransitionError(f"note is {note.status}; it cannot pay", field="status")
    if note.ticket is not None:
        raise InvalidTransitionError(
            f"ticket {note.ticket.n} already has its key (one key per ticket)", field="ticket"
        )
    if rec.ticket.request is not None or rec.ticket.shown:
        raise InvalidTransitionError("a new ticket has no request yet", field="request")
    check_ticket(note, rec.ticket)
    return contents.with_note(note.model_copy(update={"ticket": rec.ticket}))


def _keyed_ticket(note: Note, n: int) -> Ticket:
    if note.ticket is None or note.ticket.n != n or n != note.state.n:
        raise InvalidTransitionError(f"ticket {n} of the note has no key", field="n")
    return note.ticket


def _bind(contents: WalletContents, rec: RequestBound) -> WalletContents:
    note = _note(contents, rec.note_id)
    if note.status is not S.ACTIVE:
        raise InvalidTransitionError(f"note is {note.status}; it cannot pay", field="status")
    ticket = _keyed_ticket(note, rec.n)
    if ticket.request is not None:
        raise InvalidTransitionError(
            f"a request is already in flight on ticket {rec.n}", field="request"
        )
    check_request(note, rec.request)
    bound = ticket.model_copy(update={"request": rec.request})
    return contents.with_note(note.model_copy(update={"ticket": bound}))


def _release(contents: WalletContents, rec: RequestReleased) -> WalletContents:
    note = _note(contents, rec.note_id)
    ticket = _keyed_ticket(note, rec.n)
    if ticket.request is None or ticket.request.request_id != rec.request_id:
        raise InvalidTransitionError("no such request in flight on the ticket", field="request")
    free = ticket.model_copy(update={"request": None, "shown": ticket.shown or rec.sent})
    return contents.with_note(note.model_copy(update={"ticket": free}))


def merge_tickets(ours: Ticket | None, theirs: Ticket) -> Ticket:
    """One ticket from two copies with the same key: an in-flight request from either, and
    shown if either showed it. The caller checked the keys (and requests) agree."""
    if ours is None:
        return theirs
    request = ours.request if ours.request is not None else theirs.request
    return ours.model_copy(update={"request": request, "shown": ours.shown or theirs.shown})


def _adopt(contents: WalletContents, rec: TicketAdopted) -> WalletContents:
    note = _note(contents, rec.note_id)
    ours, theirs = note.ticket, rec.ticket
    if ours is not None:
        if ours.pk != theirs.pk or ours.n != theirs.n:
            raise InvalidTransitionError("an adopted ticket must keep the key", field="pk")
        if ours.request is not None and theirs.request != ours.request:
            raise InvalidTransitionError(
                "an adopted ticket keeps the request in flight", field="request"
            )
        if ours.shown and not theirs.shown:
            raise InvalidTransitionError("a shown ticket stays shown", field="shown")
    check_ticket(note, theirs)
    return contents.with_note(note.model_copy(update={"ticket": theirs}))


def _complete(contents: WalletContents, rec: CallCompleted) -> WalletContents:
    note = _note(contents, rec.note_id)
    pend = note.ticket
    if pend is None or pend.n != note.state.n:
        raise InvalidTransitionError("no keyed ticket to complete", field="ticket")
    old, new, cost, p = note.state, rec.state, rec.reply.cost, rec.reply.p
    expect_rho = (old.rho + eta(note.k, pend.n, note.service.service_id)) % L
    if (new.n, new.C, new.P, new.rho) != (old.n + 1, old.C + cost, old.P + p, expect_rho):
        raise InvalidTransitionError("new state is not (n+1, C+cost, P+p, ρ+η)", field="state")
    if p not in (0, note.service.penalty_max):
        raise InvalidTransitionError(f"penalty {p} is not 0 or penalty_max", field="p")
    if rec.reply.nullifier != pend.nullifier or rec.reply.E_new != new.E:
        raise InvalidTransitionError("reply is not for the ticket's state", field="reply")
    update: dict[str, object] = {"state": new, "ticket": None, "last_reply": rec.reply}
    if p > 0:
        update["evidence_hash"] = rec.reply.evidence_hash
        if note.status is S.ACTIVE:
            update["status"] = S.HALTED
    return contents.with_note(note.model_copy(update=update))


def _status(contents: WalletContents, rec: StatusChanged) -> WalletContents:
    note = _note(contents, rec.note_id)
    if rec.status not in ALLOWED[note.status]:
        raise InvalidTransitionError(
            f"a {note.status} note cannot become {rec.status}", field="status"
        )
    update: dict[str, object] = {"status": rec.status}
    if rec.evidence_hash is not None and rec.evidence_hash != ZERO_HASH:
        update["evidence_hash"] = rec.evidence_hash
    return contents.with_note(note.model_copy(update=update))


def apply(contents: WalletContents, record: Record) -> WalletContents:
    """Check `record` against `contents` and return the new contents (inputs are unchanged)."""
    if isinstance(record, NoteAdded):
        return _add(contents, record.note)
    if isinstance(record, NoteReplaced):
        return _replace(contents, record.note)
    if isinstance(record, DepositRecorded):
        return _deposit(contents, record)
    if isinstance(record, TicketKeyed):
        return _key(contents, record)
    if isinstance(record, RequestBound):
        return _bind(contents, record)
    if isinstance(record, RequestReleased):
        return _release(contents, record)
    if isinstance(record, TicketAdopted):
        return _adopt(contents, record)
    if isinstance(record, CallCompleted):
        return _complete(contents, record)
    return _status(contents, record)
