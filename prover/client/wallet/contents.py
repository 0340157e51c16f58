"""What the wallet's main file holds: every note, and the last journal record folded in."""

from __future__ import annotations

from pydantic import (
    BaseModel,
    Field,
    model_validator,
)

from prover.client.wallet.models import (
    _FROZEN,
    WALLET_FORMAT,
)
from prover.client.wallet.note import Note


class WalletContents(BaseModel):
    """Everything the main file holds; `journal_seq` is the last journal record folded in."""

    model_config = _FROZEN

    format: int = Field(default=WALLET_FORMAT, ge=WALLET_FORMAT, le=WALLET_FORMAT)
    notes: dict[str, Note] = Field(default_factory=dict)
    journal_seq: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _keys_are_ids(self) -> WalletContents:
        for key, note in self.notes.items():
            if key != str(note.id):
                raise ValueError(f"note stored under key {key} has ID {note.id}")
        return self

    def get(self, note_id: int) -> Note | None:
        return self.notes.get(str(note_id))

    def with_note(self, note: Note) -> WalletContents:
        notes = dict(self.notes)
        notes[str(note.id)] = note
        return self.model_copy(update={"notes": notes})
