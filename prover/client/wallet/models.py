"""The wallet's shared field types, limits and pinned service parameters (`ServiceParams`).

The note (`note.py`), its ticket (`ticket.py`) and the wallet's contents (`contents.py`) are
built from these. JSON forms use the wire conventions of D8 (field elements and amounts as
decimal strings, points `[x, y]`, signatures `{R8, S}`, hashes 0x-hex) and standard base64 for
raw bytes.
"""

from __future__ import annotations

import base64
import binascii
import re
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

from prover.crypto import L
from prover.crypto import service_id as derive_service_id
from prover.crypto.errors import CryptoError
from prover.wire.fields import Amount, FieldElement
from prover.wire.points import WirePoint

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
