"""`Wallet`: the user's notes, their signed states and pending tickets, crash-safe on disk.

A paid call on a note goes::

    with wallet.lease(note_id):                      # one call per note, across processes
        ticket = wallet.begin_call(note_id, request)  # durably binds ticket n to this request
        ... prove ticket.n, send exactly ticket.canonical's request, get a PaymentResponse ...
        wallet.complete_call(note_id, response)       # verifies, then commits (n+1, C+cost, …)

After a crash or timeout, `pending(note_id)` returns the bound request; resend exactly it
(`ticket.request.fields(service_id)`), never a new request on that ticket.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from prover.client.wallet import crashpoints
from prover.client.wallet.errors import (
    NoPendingTicketError,
    TicketBoundError,
    UnknownNoteError,
    WalletClosedError,
)
from prover.client.wallet.locks import NoteLeases
from prover.client.wallet.models import (
    DepositInfo,
    Note,
    NoteState,
    NoteStatus,
    PendingTicket,
    ServiceParams,
)
from prover.client.wallet.records import (
    CallCompleted,
    DepositRecorded,
    NoteAdded,
    NoteReplaced,
    Record,
    StatusChanged,
    TicketBound,
)
from prover.client.wallet.recovery import FetchState, walk
from prover.client.wallet.replies import next_state
from prover.client.wallet.sealing import KdfParams
from prover.client.wallet.store import WalletStore
from prover.client.wallet.tickets import fresh_note, new_ticket, refusal
from prover.client.wallet.transfer import ImportReport, export_notes, import_notes
from prover.crypto import RequestFields, canonical_request
from prover.wire.fields import Hash32
from prover.wire.response import PaymentResponse

DEFAULT_COMPACT_EVERY = 64


class Wallet:
    """An open wallet file. Thread-safe; several processes may open the same wallet."""

    def __init__(self, store: WalletStore) -> None:
        self._store: WalletStore | None = store
        self._leases = NoteLeases(store.path, store.keys.lock)

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    def create(
        cls,
        path: Path | str,
        passphrase: str,
        *,
        kdf: KdfParams | None = None,
        compact_every: int = DEFAULT_COMPACT_EVERY,
    ) -> Wallet:
        """Create a new, empty wallet at `path` (refuses to overwrite: `WalletExistsError`)."""
        return cls(WalletStore.create(Path(path), passphrase, kdf or KdfParams(), compact_every))

    @classmethod
    def open(
        cls, path: Path | str, passphrase: str, *, compact_every: int = DEFAULT_COMPACT_EVERY
    ) -> Wallet:
        """Open and replay a wallet. `WrongPassphraseError` / `CorruptWalletError` touch nothing."""
        return cls(WalletStore.open(Path(path), passphrase, compact_every))

    def close(self) -> None:
        if self._store is not None:
            self._leases.release_all()
            self._store = None

    def __enter__(self) -> Wallet:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def path(self) -> Path:
        return self._live().path

    def _live(self) -> WalletStore:
        if self._store is None:
            raise WalletClosedError("the wallet is closed")
        return self._store

    @contextmanager
    def _locked(self) -> Iterator[WalletStore]:
        store = self._live()
        with store.lock.held():
            store.refresh()
            yield store

    def _write(self, record: Record) -> None:
        with self._locked() as store:
            store.append(record)

    # ------------------------------------------------------------------ reading

    def notes(self) -> list[Note]:
        """Every note, in a stable order (by ID)."""
        with self._locked() as store:
            return [store.contents.notes[key] for key in sorted(store.contents.notes)]

    def note(self, note_id: int) -> Note:
        with self._locked() as store:
            return _get(store, note_id)

    def pending(self, note_id: int) -> PendingTicket | None:
        """The ticket bound to a request but not yet answered, if any (retry exactly it)."""
        return self.note(note_id).pending

    def payable_notes(self, service_id: int, today: int) -> list[Note]:
        """Notes of this service that can bind a new call today (active, unexpired, solvent, no
        pending ticket); the caller picks one at random per call (PROTOCOL §13)."""
        with self._locked() as store:
            return [
                note
                for key in sorted(store.contents.notes)
                if (note := store.contents.notes[key]).service.service_id == service_id
                and note.pending is None
                and refusal(note, service_id, today) is None
            ]

    def balance(self, note_id: int) -> int:
        """D − C − P − reserve in the vault's unit (0 before the deposit)."""
        return self.note(note_id).balance

    # ------------------------------------------------------------------ notes

    def new_note(self, service: ServiceParams) -> Note:
        """Draw a fresh secret k (never reused: each note has its own) and store the note."""
        note = fresh_note(service)
        self._write(NoteAdded(note=note))
        return note

    def record_deposit(self, note_id: int, deposit: DepositInfo) -> Note:
        """Record the `Deposited` event of a created note; the note becomes active."""
        self._write(DepositRecorded(note_id=note_id, deposit=deposit))
        return self.note(note_id)

    def add_note(self, note: Note) -> None:
        """Add a complete note (recovered from its secret, see `recovery.restore_note`)."""
        self._write(NoteAdded(note=note))

    # ------------------------------------------------------------------ calls

    @contextmanager
    def lease(self, note_id: int) -> Iterator[None]:
        """Hold the note for one call; `NoteBusyError` if another thread or process holds it."""
        self._live()
        with self._leases.lease(note_id):
            yield

    def begin_call(self, note_id: int, request: RequestFields) -> PendingTicket:
        """Durably bind the note's next ticket to `request` before any proof is sent.

        Returns the existing ticket if it is already bound to exactly this request;
        `TicketBoundError` if it is bound to a different one.
        """
        with self.lease(note_id), self._locked() as store:
            note = _get(store, note_id)
            canonical = canonical_request(request)
            if note.pending is not None:
                if note.pending.canonical == canonical:
                    return note.pending
                raise TicketBoundError(
                    f"ticket {note.pending.n} of note {note_id} is bound to another request; "
                    "retry that request",
                    field="request",
                )
            ticket = new_ticket(note, request, canonical)
            crashpoints.reached("begin_call.before_record")
            store.append(TicketBound(pending=ticket))
            crashpoints.reached("begin_call.after_record")
            return ticket

    def complete_call(self, note_id: int, response: PaymentResponse) -> NoteState:
        """Verify a reply for the pending ticket and commit the new signed state atomically.

        Idempotent: completing again with the reply already committed returns that state.
        On p > 0 the note is halted and the evidence hash kept.
        """
        with self.lease(note_id), self._locked() as store:
            note = _get(store, note_id)
            if note.pending is None:
                if response == note.last_reply:
                    return note.state
                raise NoPendingTicketError(f"note {note_id} has no pending ticket", field="note_id")
            state = next_state(note.k, note.id, note.service, note.state, response)
            record = CallCompleted(note_id=note_id, reply=response, state=state)
            crashpoints.reached("complete_call.before_record")
            store.append(record)
            crashpoints.reached("complete_call.after_record")
            return state

    def resync(self, note_id: int, fetch_state: FetchState) -> NoteState:
        """Catch a note up with the gateway through `GET /state/{nullifier}`.

        Completes a pending ticket whose reply was lost, then follows any later served tickets
        (a wallet restored from an old backup). Every reply is verified like a live one.
        Network calls run under the note's lease but outside the wallet-wide lock.
        """
        with self.lease(note_id):
            note = self.note(note_id)
            if note.pending is not None:
                reply = fetch_state(note.pending.nullifier)
                if reply is None:
                    return note.state
                self.complete_call(note_id, reply)
                note = self.note(note_id)
            state, evidence = walk(note.k, note.service, note.state, fetch_state)
            if state.n == note.state.n:
                return state
            with self._locked() as store:
                current = _get(store, note_id)
                if current.state != note.state or current.pending is not None:
                    return current.state  # changed meanwhile (status changes keep the state)
                update: dict[str, object] = {"state": state, "last_reply": None}
                if evidence is not None:
                    update["evidence_hash"] = evidence
                    if current.status is NoteStatus.ACTIVE:
                        update["status"] = NoteStatus.HALTED
                store.append(NoteReplaced(note=current.model_copy(update=update)))
            return state

    # ------------------------------------------------------------------ status

    def halt(self, note_id: int, evidence_hash: Hash32 | None = None) -> None:
        """Stop using the note for calls (e.g. evidence of a policy violation)."""
        self._write(
            StatusChanged(note_id=note_id, status=NoteStatus.HALTED, evidence_hash=evidence_hash)
        )

    def mark_exiting(self, note_id: int) -> None:
        self._write(StatusChanged(note_id=note_id, status=NoteStatus.EXITING))

    def mark_closed(self, note_id: int) -> None:
        self._write(StatusChanged(note_id=note_id, status=NoteStatus.CLOSED))

    def mark_slashed(self, note_id: int) -> None:
        self._write(StatusChanged(note_id=note_id, status=NoteStatus.SLASHED))

    # ------------------------------------------------------------------ maintenance

    def compact(self) -> None:
        """Fold the journal into the main file now (also happens every `compact_every` records)."""
        with self._locked() as store:
            store.compact()

    def export(
        self,
        path: Path | str,
        passphrase: str,
        *,
        note_ids: list[int] | None = None,
        kdf: KdfParams | None = None,
    ) -> None:
        """Write the notes (all, or `note_ids`) to a new export file under its own passphrase."""
        with self._locked() as store:
            export_notes(store, Path(path), passphrase, note_ids, kdf or KdfParams())

    def import_(self, path: Path | str, passphrase: str) -> ImportReport:
        """Merge an export file into this wallet (never moves a note's state backwards)."""
        with self._locked() as store:
            return import_notes(store, Path(path), passphrase)


def _get(store: WalletStore, nid: int) -> Note:
    note = store.contents.get(nid)
    if note is None:
        raise UnknownNoteError(f"no note with ID {nid} in the wallet", field="note_id")
    return note
