"""`Wallet`: the user's notes, their signed states and next tickets, crash-safe on disk.

A paid call on a note goes (PROTOCOL v3)::

    ticket = wallet.key_ticket(note_id)               # the ticket's one-time key, journalled once
    ... a proof of ticket n for x = H(ticket.pk) may be made now, ahead of any request ...
    with wallet.lease(note_id):                       # one call per note, across processes
        ticket = wallet.begin_call(note_id, request)  # journals the request BEFORE it is sent
        ... sign the request with the ticket key, send it with the proof ...
        wallet.complete_call(note_id, response)       # verifies, then commits (n+1, C+cost, …)
        # or, when the gateway proved it did not reserve the ticket (or nothing was sent):
        wallet.release_call(note_id, request_id, sent=..., reason=...)  # the ticket is free again

After a crash or timeout the request stays in flight (`in_flight(note_id)`): resend exactly it
before anything else; the ticket's key, and so its share, never change.
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
from prover.client.wallet.models import ServiceParams
from prover.client.wallet.note import DepositInfo, Note, NoteState, NoteStatus
from prover.client.wallet.records import (
    CallCompleted,
    DepositRecorded,
    NoteAdded,
    NoteReplaced,
    Record,
    RequestBound,
    RequestReleased,
    StatusChanged,
    TicketKeyed,
)
from prover.client.wallet.recovery import FetchState, walk
from prover.client.wallet.replies import next_state
from prover.client.wallet.sealing import KdfParams
from prover.client.wallet.store import WalletStore
from prover.client.wallet.ticket import Ticket
from prover.client.wallet.ticket_rules import fresh_note, new_ticket, refusal, request_for
from prover.client.wallet.transfer import ImportReport, export_notes, import_notes
from prover.crypto import RequestFields
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

    def in_flight(self, note_id: int) -> Ticket | None:
        """The note's ticket if a request is in flight on it (resend exactly that request)."""
        ticket = self.note(note_id).ticket
        return ticket if ticket is not None and ticket.request is not None else None

    def payable_notes(
        self, service_id: int, today: int, *, with_in_flight: bool = False
    ) -> list[Note]:
        """Notes of this service that can pay a new call today (active, unexpired, solvent, no
        request in flight; with `with_in_flight`, also those whose in-flight request must be
        settled first); the caller picks one at random per call (PROTOCOL §13)."""
        with self._locked() as store:
            return [
                note
                for key in sorted(store.contents.notes)
                if (note := store.contents.notes[key]).service.service_id == service_id
                and (with_in_flight or note.in_flight is None)
                and refusal(note, service_id, today) is None
            ]

    def notes_in_flight(self, service_id: int) -> list[Note]:
        """Notes of this service with a request in flight (whatever their status)."""
        with self._locked() as store:
            return [
                note
                for key in sorted(store.contents.notes)
                if (note := store.contents.notes[key]).service.service_id == service_id
                and note.in_flight is not None
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

    def key_ticket(self, note_id: int) -> Ticket:
        """The note's next ticket with its one-time key, drawn and journalled now if it has none
        (before any proof of it can leave the machine). Takes no note lease: the journal rule
        "one key per ticket" makes concurrent callers agree on the first key."""
        with self._locked() as store:
            note = _get(store, note_id)
            if note.ticket is not None:
                return note.ticket
            ticket = new_ticket(note)
            crashpoints.reached("key_ticket.before_record")
            store.append(TicketKeyed(note_id=note_id, ticket=ticket))
            crashpoints.reached("key_ticket.after_record")
            return ticket

    def begin_call(self, note_id: int, request: RequestFields) -> Ticket:
        """Journal `request` on the note's next ticket BEFORE it is sent; return the ticket.

        The ticket's key is drawn first if needed, once the note can pay for the request (a
        refused request draws no key). The same request again returns the same ticket (a
        resend); another one while a request is in flight is `TicketBoundError`.
        """
        with self.lease(note_id), self._locked() as store:
            before = _get(store, note_id)
            # a new request is checked (and refused) before any key is drawn; keying changes
            # neither the note's status nor its credit, so the check stands for the keyed note
            stored = request_for(before, request) if before.in_flight is None else None
            self.key_ticket(note_id)
            note = _get(store, note_id)
            assert note.ticket is not None
            if note.ticket.request is not None:
                if note.ticket.request.fields(note.service.service_id) == request:
                    return note.ticket
                raise TicketBoundError(
                    f"a request is in flight on ticket {note.ticket.n} of note {note_id}; "
                    "resend it (or have it refused) before another one",
                    field="request",
                )
            assert stored is not None  # nothing was in flight before, so it was checked
            crashpoints.reached("begin_call.before_record")
            store.append(RequestBound(note_id=note_id, n=note.ticket.n, request=stored))
            crashpoints.reached("begin_call.after_record")
            ticket = _get(store, note_id).ticket
            assert ticket is not None
            return ticket

    def release_call(self, note_id: int, request_id: bytes, *, sent: bool, reason: str) -> Ticket:
        """The in-flight request is over without a reply: the gateway refused it before any
        reservation (`sent`), or it never left (`sent=False`). The ticket (key, share) stays
        for the next request. `NoPendingTicketError` if that request is not in flight."""
        with self.lease(note_id), self._locked() as store:
            note = _get(store, note_id)
            ticket = note.ticket
            if ticket is None or ticket.request is None or ticket.request.request_id != request_id:
                raise NoPendingTicketError(
                    f"no such request in flight on note {note_id}", field="request_id"
                )
            record = RequestReleased(
                note_id=note_id, n=ticket.n, request_id=request_id, sent=sent, reason=reason[:200]
            )
            crashpoints.reached("release_call.before_record")
            store.append(record)
            crashpoints.reached("release_call.after_record")
            released = _get(store, note_id).ticket
            assert released is not None
            return released

    def complete_call(self, note_id: int, response: PaymentResponse) -> NoteState:
        """Verify a reply for the note's ticket and commit the new signed state atomically.

        Idempotent: completing again with the reply already committed returns that state.
        On p > 0 the note is halted and the evidence hash kept.
        """
        with self.lease(note_id), self._locked() as store:
            note = _get(store, note_id)
            if note.ticket is None:
                if response == note.last_reply:
                    return note.state
                raise NoPendingTicketError(f"note {note_id} has no keyed ticket", field="note_id")
            state = next_state(note.k, note.id, note.service, note.state, response)
            record = CallCompleted(note_id=note_id, reply=response, state=state)
            crashpoints.reached("complete_call.before_record")
            store.append(record)
            crashpoints.reached("complete_call.after_record")
            return state

    def resync(self, note_id: int, fetch_state: FetchState) -> NoteState:
        """Catch a note up with the gateway through `GET /state/{nullifier}`.

        Completes the next ticket if the gateway served it (a reply lost in flight, or a request
        released in error), then follows any later served tickets (a wallet restored from an old
        backup). Every reply is verified like a live one. Network calls run under the note's
        lease but outside the wallet-wide lock.
        """
        with self.lease(note_id):
            note = self.note(note_id)
            if note.ticket is not None:
                reply = fetch_state(note.ticket.nullifier)
                if reply is None:
                    return note.state
                self.complete_call(note_id, reply)
                note = self.note(note_id)
            state, evidence = walk(note.k, note.service, note.state, fetch_state)
            if state.n == note.state.n:
                return state
            with self._locked() as store:
                current = _get(store, note_id)
                if current.state != note.state or current.ticket is not None:
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
