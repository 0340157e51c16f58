"""Pure state machine of the wallet: `apply(contents, record)` checks a record and folds it in.

The same function runs when a record is first written and when the journal is replayed, so a
journal can never hold a transition the wallet would refuse live.
"""

from __future__ import annotations

from typing import Final

from prover.client.wallet.errors import InvalidTransitionError, UnknownNoteError
from prover.client.wallet.models import ZERO_HASH, Note, NoteStatus, PendingTicket, WalletContents
from prover.client.wallet.records import (
    CallCompleted,
    DepositRecorded,
    NoteAdded,
    NoteReplaced,
    Record,
    StatusChanged,
    TicketBound,
)
from prover.crypto import (
    L,
    canonical_request,
    commit,
    eta,
    note_id,
    nullifier,
    request_x,
    rho0,
    slope,
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


def check_ticket(note: Note, pend: PendingTicket) -> None:
    """A pending ticket is the state's next one and its bytes, x and nullifier agree."""
    sid = note.service.service_id
    if pend.note_id != note.id or pend.n != note.state.n:
        raise InvalidTransitionError(f"ticket {pend.n} is not the next ({note.state.n})", field="n")
    try:
        fields = pend.request.fields(sid)
    except CryptoError as exc:
        raise InvalidTransitionError(f"bound request is malformed: {exc}", field="request") from exc
    if canonical_request(fields) != pend.canonical or request_x(fields) != pend.x:
        raise InvalidTransitionError("bound request bytes or x do not match", field="canonical")
    if nullifier(slope(note.k, pend.n, sid)) != pend.nullifier:
        raise InvalidTransitionError("pending nullifier is not nullifier_n", field="nullifier")


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
    if note.pending is not None:
        check_ticket(note, note.pending)
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


def _bind(contents: WalletContents, rec: TicketBound) -> WalletContents:
    pend = rec.pending
    note = _note(contents, pend.note_id)
    if note.status is not S.ACTIVE:
        raise InvalidTransitionError(f"note is {note.status}; it cannot pay", field="status")
    if note.pending is not None:
        raise InvalidTransitionError(f"ticket {note.pending.n} is already bound", field="pending")
    check_ticket(note, pend)
    return contents.with_note(note.model_copy(update={"pending": pend}))


def _complete(contents: WalletContents, rec: CallCompleted) -> WalletContents:
    note = _note(contents, rec.note_id)
    pend = note.pending
    if pend is None:
        raise InvalidTransitionError("no pending ticket to complete", field="pending")
    old, new, cost, p = note.state, rec.state, rec.reply.cost, rec.reply.p
    expect_rho = (old.rho + eta(note.k, pend.n, note.service.service_id)) % L
    if (new.n, new.C, new.P, new.rho) != (old.n + 1, old.C + cost, old.P + p, expect_rho):
        raise InvalidTransitionError("new state is not (n+1, C+cost, P+p, ρ+η)", field="state")
    if p not in (0, note.service.penalty_max):
        raise InvalidTransitionError(f"penalty {p} is not 0 or penalty_max", field="p")
    if rec.reply.nullifier != pend.nullifier or rec.reply.E_new != new.E:
        raise InvalidTransitionError("reply is not for the pending ticket's state", field="reply")
    update: dict[str, object] = {"state": new, "pending": None, "last_reply": rec.reply}
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
    if isinstance(record, TicketBound):
        return _bind(contents, record)
    if isinstance(record, CallCompleted):
        return _complete(contents, record)
    return _status(contents, record)
