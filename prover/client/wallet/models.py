"""Typed records of the wallet: service parameters, deposits, signed states, pending tickets, notes.

Every model is frozen and strict about ranges; JSON forms use the wire conventions of D8 (field
elements and amounts as decimal strings, points `[x, y]`, signatures `{R8, S}`, hashes 0x-hex) and
standard base64 for raw bytes.
"""

from __future__ import annotations

import base64
import binascii
import re
from enum import StrEnum
from typing import Annotated, Final

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    field_validator,
    model_validator,
)

from prover.crypto import L, Opening, RequestFields, canonical_request
from prover.crypto import service_id as derive_service_id
from prover.crypto.errors import CryptoError
from prover.wire.fields import Amount, FieldElement, Hash32, RequestId
from prover.wire.points import WirePoint, WireSignature
from prover.wire.response import PaymentResponse

TICKET_LIMIT: Final[int] = 1 << 32
WALLET_FORMAT: Final[int] = 2
"""Contents format: 2 = protocol v3 (one-time ticket keys). Format 1 (v2: tickets bound to one
request) is refused with `WalletFormatError`."""
ZERO_HASH: Final[bytes] = bytes(32)
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


def _b64_in(value: object, info: ValidationInfo) -> bytes:
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise ValueError("must be base64 text")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError("is not valid base64") from exc


def _b64_out(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


B64Bytes = Annotated[bytes, BeforeValidator(_b64_in), PlainSerializer(_b64_out, return_type=str)]
"""Raw bytes, standard base64 in JSON."""

Scalar = Annotated[FieldElement, Field(lt=L)]
"""A Baby Jubjub scalar in [0, l) (blinding ρ)."""

_FROZEN = ConfigDict(extra="forbid", frozen=True)


class NoteStatus(StrEnum):
    """Life of a note in the wallet (PROTOCOL §4, §7)."""

    CREATED = "created"  # k drawn, not yet deposited
    ACTIVE = "active"  # deposited; can pay for calls
    HALTED = "halted"  # a penalty was charged (or the user halted it); no more calls
    EXITING = "exiting"  # requestWithdrawal sent
    CLOSED = "closed"  # withdrawal finalized
    SLASHED = "slashed"  # deposit forfeited


class ServiceParams(BaseModel):
    """The vault parameters pinned at deposit (checked against the vault by the caller)."""

    model_config = _FROZEN

    chain_id: int = Field(ge=1, lt=1 << 64)
    vault_address: str
    service_id: FieldElement
    server_pk: WirePoint
    c_max: Amount
    reserve: Amount
    penalty_max: Amount
    unit: Amount = Field(ge=1)

    @field_validator("vault_address")
    @classmethod
    def _address(cls, value: str) -> str:
        if not _ADDRESS.match(value):
            raise ValueError("vault_address must be 0x followed by 40 hex digits")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ServiceParams:
        try:
            expected = derive_service_id(self.chain_id, self.vault_address)
        except CryptoError as exc:
            raise ValueError(str(exc)) from exc
        if expected != self.service_id:
            raise ValueError("service_id does not match chain_id and vault_address")
        if self.reserve < self.penalty_max:
            raise ValueError("reserve must be at least penalty_max")
        return self


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


class StoredRequest(BaseModel):
    """A request journalled on a ticket before it is sent, kept so a resend carries exactly the
    same signed bytes (D5; Ed25519 signatures are deterministic, so the signature is the same)."""

    model_config = _FROZEN

    method: str
    path: str
    body: B64Bytes
    today: int = Field(ge=0, lt=1 << 64)
    request_id: RequestId

    @classmethod
    def of(cls, req: RequestFields) -> StoredRequest:
        return cls(
            method=req.method,
            path=req.path,
            body=req.body,
            today=req.today,
            request_id=req.request_id,
        )

    def fields(self, service_id: int) -> RequestFields:
        return RequestFields.create(
            method=self.method,
            path=self.path,
            body=self.body,
            service_id=service_id,
            today=self.today,
            request_id=self.request_id,
        )

    def canonical(self, service_id: int) -> bytes:
        """The exact bytes the ticket key signs for this request (D5)."""
        return canonical_request(self.fields(service_id))


class Ticket(BaseModel):
    """A note's next ticket `n` (PROTOCOL v3 §8): its one-time Ed25519 key, fixed before any
    proof of the ticket can leave, so the ticket's share `(x, y, nullifier)` never changes.

    `secret` is the key's 32-byte seed, sealed in the wallet like `k`. `request` is the request
    in flight on the ticket (journalled before it is sent; cleared when a refusal proves the
    gateway did not reserve the ticket, or by the reply). `shown` is true once a request on the
    ticket may have left the machine: its share `(x, y)` is then known to the gateway, so an exit
    must never publish another share of this ticket (it exits with `pending = 1` unless the
    ticket gets served first).
    """

    model_config = _FROZEN

    n: int = Field(ge=0, lt=TICKET_LIMIT)
    secret: B64Bytes = Field(repr=False)
    pk: B64Bytes
    x: FieldElement
    nullifier: FieldElement
    request: StoredRequest | None = None
    shown: bool = False

    @property
    def in_flight(self) -> bool:
        return self.request is not None

    @property
    def share_revealed(self) -> bool:
        """A request on this ticket is in flight or may have been seen by the gateway."""
        return self.shown or self.request is not None


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
