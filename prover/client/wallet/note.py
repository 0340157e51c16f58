"""A note (PROTOCOL §4): its secret, pinned service, deposit, status and signed state (§5)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import (
    BaseModel,
    Field,
    model_validator,
)

from prover.client.wallet.models import (
    _FROZEN,
    TICKET_LIMIT,
    Scalar,
    ServiceParams,
)
from prover.client.wallet.ticket import StoredRequest, Ticket
from prover.crypto import Opening
from prover.wire.fields import Amount, FieldElement, Hash32
from prover.wire.points import WirePoint, WireSignature
from prover.wire.response import PaymentResponse


class NoteStatus(StrEnum):
    """Life of a note in the wallet (PROTOCOL §4, §7)."""

    CREATED = "created"  # k drawn, not yet deposited
    ACTIVE = "active"  # deposited; can pay for calls
    HALTED = "halted"  # a penalty was charged (or the user halted it); no more calls
    EXITING = "exiting"  # requestWithdrawal sent
    CLOSED = "closed"  # withdrawal finalized
    SLASHED = "slashed"  # deposit forfeited


class DepositInfo(BaseModel):
    """Where and how much a note was deposited (from the `Deposited` event)."""

    model_config = _FROZEN

    tx_hash: Hash32
    leaf_index: int = Field(ge=0, lt=1 << 32)
    D: Amount
    expiry: int = Field(ge=0, lt=1 << 64, description="last day (unix_time // 86400) of use")


class NoteState(BaseModel):
    """A note's current state: the opening (n, C, P, ρ), its commitment E and the server's σ.

    `sigma` is None only for the genesis state (0, 0, 0, ρ0), which needs no signature.
    """

    model_config = _FROZEN

    n: int = Field(ge=0, lt=TICKET_LIMIT)
    C: Amount
    P: Amount
    rho: Scalar
    E: WirePoint
    sigma: WireSignature | None = None

    @model_validator(mode="after")
    def _genesis_unsigned(self) -> NoteState:
        genesis = self.n == 0 and self.C == 0 and self.P == 0
        if genesis != (self.sigma is None):
            raise ValueError("sigma must be absent exactly for the genesis state")
        return self

    def opening(self, note_id: int) -> Opening:
        return Opening(n=self.n, C=self.C, P=self.P, ID=note_id, rho=self.rho)


class Note(BaseModel):
    """One note: its secret, pinned service, deposit, status, signed state and next ticket."""

    model_config = _FROZEN

    id: FieldElement
    k: FieldElement
    service: ServiceParams
    status: NoteStatus
    deposit: DepositInfo | None = None
    state: NoteState
    ticket: Ticket | None = None
    evidence_hash: Hash32 | None = None
    last_reply: PaymentResponse | None = None

    @property
    def balance(self) -> int:
        """D − C − P − reserve (negative only if a penalty ate into the reserve); 0 undeposited."""
        if self.deposit is None:
            return 0
        return self.deposit.D - self.state.C - self.state.P - self.service.reserve

    @property
    def can_pay(self) -> bool:
        """The circuit's solvency rule for the next call: C + c_max + P + reserve ≤ D."""
        return self.deposit is not None and self.balance >= self.service.c_max

    @property
    def in_flight(self) -> StoredRequest | None:
        """The request in flight on the next ticket (its outcome unknown), if any."""
        return None if self.ticket is None else self.ticket.request

    @property
    def share_shown(self) -> bool:
        """The next ticket's share may be known to the gateway (a request in flight, or one
        sent and refused): an exit must then skip that ticket (`pending = 1`)."""
        return self.ticket is not None and self.ticket.share_revealed
