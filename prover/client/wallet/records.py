"""Journal records: one durable fact each, folded into `WalletContents` by `ledger.apply`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from prover.client.wallet.models import (
    DepositInfo,
    Note,
    NoteState,
    NoteStatus,
    PendingTicket,
)
from prover.wire.fields import FieldElement, Hash32
from prover.wire.response import PaymentResponse

_FROZEN = ConfigDict(extra="forbid", frozen=True)


class NoteAdded(BaseModel):
    """A new note (drawn here, imported or recovered)."""

    model_config = _FROZEN
    kind: Literal["note_added"] = "note_added"
    note: Note


class NoteReplaced(BaseModel):
    """An import or recovery moved a note to a strictly later signed state."""

    model_config = _FROZEN
    kind: Literal["note_replaced"] = "note_replaced"
    note: Note


class DepositRecorded(BaseModel):
    model_config = _FROZEN
    kind: Literal["deposit_recorded"] = "deposit_recorded"
    note_id: FieldElement
    deposit: DepositInfo


class TicketBound(BaseModel):
    """Written before a proof for ticket `pending.n` leaves the machine."""

    model_config = _FROZEN
    kind: Literal["ticket_bound"] = "ticket_bound"
    pending: PendingTicket


class CallCompleted(BaseModel):
    """Written after a verified reply: the new signed state; clears the pending ticket."""

    model_config = _FROZEN
    kind: Literal["call_completed"] = "call_completed"
    note_id: FieldElement
    reply: PaymentResponse
    state: NoteState


class StatusChanged(BaseModel):
    model_config = _FROZEN
    kind: Literal["status_changed"] = "status_changed"
    note_id: FieldElement
    status: NoteStatus
    evidence_hash: Hash32 | None = None


Record = Annotated[
    NoteAdded | NoteReplaced | DepositRecorded | TicketBound | CallCompleted | StatusChanged,
    Field(discriminator="kind"),
]


class Entry(BaseModel):
    """One journal entry: its sequence number and its record."""

    model_config = _FROZEN
    seq: int = Field(ge=1)
    record: Record


ENTRY: TypeAdapter[Entry] = TypeAdapter(Entry)
