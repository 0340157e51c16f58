"""Export and import: notes moved between wallets in a sealed file under its own passphrase.

An export file has the main-file format (kind `EXPORT`, its own salt and uid, no journal). Import
merges note by note and never moves a state backwards:

- a note the wallet lacks is added as it is (its next ticket's key and in-flight request
  included: a ticket's one-time key must survive, or a second key would make a second share);
- a note whose imported state is further along (larger n) replaces the local copy;
- at the same n, an imported ticket key is adopted if the local copy has none, then its in-flight
  request if the local copy has none; two different keys for one ticket, or two different
  in-flight requests on it, are an `ImportConflictError` (nothing is imported);
- otherwise the local copy is kept (what was shown stays shown).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from prover.client.wallet import ledger
from prover.client.wallet.contents import WalletContents
from prover.client.wallet.errors import ImportConflictError, UnknownNoteError
from prover.client.wallet.ledger import merge_tickets
from prover.client.wallet.note import Note, NoteStatus
from prover.client.wallet.records import NoteAdded, NoteReplaced, Record, TicketAdopted
from prover.client.wallet.sealing import FileKind, KdfParams
from prover.client.wallet.store import WalletStore, read_sealed, write_sealed

_RANK = {
    NoteStatus.CREATED: 0,
    NoteStatus.ACTIVE: 1,
    NoteStatus.HALTED: 2,
    NoteStatus.EXITING: 3,
    NoteStatus.CLOSED: 4,
    NoteStatus.SLASHED: 5,
}


class ImportReport(BaseModel):
    """What an import did, by note ID."""

    model_config = ConfigDict(frozen=True)

    added: list[int]
    advanced: list[int]
    kept: list[int]


def export_notes(
    store: WalletStore, path: Path, passphrase: str, note_ids: list[int] | None, kdf: KdfParams
) -> None:
    notes = store.contents.notes
    if note_ids is not None:
        missing = [n for n in note_ids if str(n) not in notes]
        if missing:
            raise UnknownNoteError(f"no note with ID {missing[0]} in the wallet", field="note_ids")
        notes = {str(n): notes[str(n)] for n in note_ids}
    write_sealed(path, WalletContents(notes=notes), passphrase, FileKind.EXPORT, kdf)


def _merge(local: Note, incoming: Note) -> Note:
    status = max(local.status, incoming.status, key=_RANK.__getitem__)
    return incoming.model_copy(
        update={"status": status, "deposit": incoming.deposit or local.deposit}
    )


def plan_import(
    contents: WalletContents, incoming: WalletContents
) -> tuple[list[Record], ImportReport]:
    records: list[Record] = []
    added: list[int] = []
    advanced: list[int] = []
    kept: list[int] = []
    for key in sorted(incoming.notes):
        note = incoming.notes[key]
        local = contents.get(note.id)
        if local is None:
            records.append(NoteAdded(note=note))
            added.append(note.id)
        elif note.state.n > local.state.n:
            records.append(NoteReplaced(note=_merge(local, note)))
            advanced.append(note.id)
        elif note.state.n == local.state.n and note.ticket is not None:
            adopted = _adopt_ticket(local, note)
            records.extend(adopted)
            (advanced if adopted else kept).append(note.id)
        else:
            kept.append(note.id)
    return records, ImportReport(added=added, advanced=advanced, kept=kept)


def _adopt_ticket(local: Note, incoming: Note) -> list[Record]:
    """The record that brings the local note's next ticket up to the imported one (same n)."""
    theirs = incoming.ticket
    assert theirs is not None
    ours = local.ticket
    if ours is not None and ours.pk != theirs.pk:
        raise ImportConflictError(
            f"note {local.id}: ticket {local.state.n} has two different one-time keys in the "
            "wallet and in the import (each may have shown its share)",
            field="ticket",
        )
    if (
        ours is not None
        and None not in (ours.request, theirs.request)
        and (ours.request != theirs.request)
    ):
        raise ImportConflictError(
            f"note {local.id}: ticket {local.state.n} has different requests in flight in the "
            "wallet and in the import",
            field="request",
        )
    merged = merge_tickets(ours, theirs)
    return [] if merged == ours else [TicketAdopted(note_id=local.id, ticket=merged)]


def import_notes(store: WalletStore, path: Path, passphrase: str) -> ImportReport:
    """Read an export file and journal its notes (all checks run before anything is written)."""
    _, _, incoming = read_sealed(path, passphrase, FileKind.EXPORT)
    records, report = plan_import(store.contents, incoming)
    trial = store.contents
    for record in records:
        trial = ledger.apply(trial, record)  # refuse the whole import if any record is refused
    for record in records:
        store.append(record)
    return report
