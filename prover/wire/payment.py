"""`PAYMENT-SIGNATURE`: a paid call's proof, public signals, request id and day."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from prover.crypto.babyjub import Point
from prover.crypto.errors import CryptoError
from prover.wire.errors import ErrorCode, WireError
from prover.wire.fields import FieldElement, ProofBytes, RequestId

REQUEST_SIGNALS = (
    "y",
    "nullifier",
    "e_anon_x",
    "e_anon_y",
    "root",
    "service_id",
    "x",
    "c_max",
    "reserve",
    "server_pk_x",
    "server_pk_y",
    "today",
)
"""Public signals of the `request` circuit in snarkjs order (D6: outputs, then inputs)."""


class PaymentPayload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    proof: ProofBytes
    public_signals: tuple[FieldElement, ...] = Field(
        min_length=len(REQUEST_SIGNALS), max_length=len(REQUEST_SIGNALS)
    )
    request_id: RequestId
    today: int = Field(ge=0, lt=1 << 32)

    def signal(self, name: str) -> int:
        """A public signal by its name in `REQUEST_SIGNALS` (no magic indices elsewhere)."""
        return self.public_signals[REQUEST_SIGNALS.index(name)]

    @property
    def nullifier(self) -> int:
        return self.signal("nullifier")

    @property
    def x(self) -> int:
        return self.signal("x")

    @property
    def y(self) -> int:
        return self.signal("y")

    @property
    def e_anon(self) -> Point:
        """E_anon, checked on the curve (the circuit guarantees it; a forged signal may not be)."""
        try:
            return Point(self.signal("e_anon_x"), self.signal("e_anon_y"))
        except CryptoError as exc:
            raise WireError(ErrorCode.BAD_REQUEST, "E_anon is not on the curve") from exc


class PaymentSignature(BaseModel):
    """The decoded `PAYMENT-SIGNATURE` header."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    x402_version: Literal[2] = Field(alias="x402Version")
    scheme: Literal["zk-rln-credit"]
    network: str = Field(pattern=r"^eip155:[1-9][0-9]{0,18}$")
    payload: PaymentPayload
