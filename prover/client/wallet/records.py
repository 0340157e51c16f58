"""Journal records: one durable fact each, folded into `WalletContents` by `ledger.apply`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from prover.client.wallet.models import TICKET_LIMIT
from prover.client.wallet.note import DepositInfo, Note, NoteState, NoteStatus
from prover.client.wallet.ticket import StoredRequest, Ticket
from prover.wire.fields import FieldElement, Hash32, RequestId
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


class TicketKeyed(BaseModel):
    """The note's next ticket got its one-time key: written before any proof of the ticket can
    leave the machine, so the ticket has one key (one share) for good."""

    model_config = _FROZEN
    kind: Literal["ticket_keyed"] = "ticket_keyed"
    note_id: FieldElement
    ticket: Ticket


class RequestBound(BaseModel):
    """A request is about to be sent on ticket `n` (written before it is sent)."""

    model_config = _FROZEN
    kind: Literal["request_bound"] = "request_bound"
    note_id: FieldElement
    n: int = Field(ge=0, lt=TICKET_LIMIT)
    request: StoredRequest


class RequestReleased(BaseModel):
    """The request in flight on ticket `n` is over without a reply: the gateway proved it did
    not reserve the ticket (`sent` true), or it was never sent (`sent` false). The ticket, its
    key and its share stay; the next request may use them."""

    model_config = _FROZEN
    kind: Literal["request_released"] = "request_released"
    note_id: FieldElement
    n: int = Field(ge=0, lt=TICKET_LIMIT)
    request_id: RequestId
    sent: bool
    reason: str = Field(max_length=200)


class TicketAdopted(BaseModel):
    """An import brought the note's next ticket (same key, or a key where there was none) with
    its in-flight request and whether its share was shown (`ledger.merge_tickets`)."""

    model_config = _FROZEN
    kind: Literal["ticket_adopted"] = "ticket_adopted"
    note_id: FieldElement
    ticket: Ticket


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
    NoteAdded
    | NoteReplaced
    | DepositRecorded
    | TicketKeyed
    | RequestBound
    | RequestReleased
    | TicketAdopted
    | CallCompleted
    | StatusChanged,
    Field(discriminator="kind"),
]


class Entry(BaseModel):
    """One journal entry: its sequence number and its record."""

    model_config = _FROZEN
    seq: int = Field(ge=1)
    record: Record


ENTRY: TypeAdapter[Entry] = TypeAdapter(Entry)
