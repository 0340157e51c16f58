"""`PAYMENT-SIGNATURE`: a paid call's proof, public signals, request id, day, and the ticket's
one-time key with its signature over the canonical request (PROTOCOL v3 §8, §9; D8)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, ValidationInfo

from prover.crypto.babyjub import Point
from prover.crypto.errors import CryptoError
from prover.crypto.request_hash import RequestFields, canonical_request
from prover.crypto.ticket_key import (
    PK_BYTES,
    SIGNATURE_BYTES,
    TicketKey,
    check_public_key,
    check_signature,
)
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


def _strict_hex(length: int, check: Callable[[bytes], bytes]) -> BeforeValidator:
    """`0x` + exactly 2·length lower-case hex digits (one value, one encoding), then `check`."""
    pattern = re.compile(rf"0x[0-9a-f]{{{2 * length}}}")

    def parse(value: object, info: ValidationInfo) -> bytes:
        if info.mode == "python" and isinstance(value, bytes):
            raw = value
        elif isinstance(value, str) and pattern.fullmatch(value):
            raw = bytes.fromhex(value[2:])
        else:
            raise ValueError(f"must be 0x followed by {2 * length} lower-case hex digits")
        try:
            return check(raw)
        except CryptoError as exc:
            raise ValueError(str(exc)) from exc

    return BeforeValidator(parse)


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


TicketPublicKey = Annotated[
    bytes, _strict_hex(PK_BYTES, check_public_key), PlainSerializer(_hex, return_type=str)
]
"""A ticket's one-time Ed25519 key (RFC 8032 encoding): canonical, on the curve, not of small
order."""

TicketSignature = Annotated[
    bytes, _strict_hex(SIGNATURE_BYTES, check_signature), PlainSerializer(_hex, return_type=str)
]
"""Ed25519 signature `R ‖ S` over the canonical request: canonical `R`, `S < L`."""


class PaymentPayload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    proof: ProofBytes
    public_signals: tuple[FieldElement, ...] = Field(
        min_length=len(REQUEST_SIGNALS), max_length=len(REQUEST_SIGNALS)
    )
    request_id: RequestId
    today: int = Field(ge=0, lt=1 << 32)
    pk: TicketPublicKey
    signature: TicketSignature

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


def signed_payment(
    *,
    network: str,
    proof: bytes,
    public_signals: Sequence[int],
    key: TicketKey,
    request: RequestFields,
) -> PaymentSignature:
    """The `PAYMENT-SIGNATURE` of `request` on the ticket whose one-time key is `key` (the proof's
    `x` must be `key.x`): the key signs the canonical request (v3 §8)."""
    payload = PaymentPayload(
        proof=proof,
        public_signals=tuple(public_signals),
        request_id=request.request_id,
        today=request.today,
        pk=key.pk,
        signature=key.sign(canonical_request(request)),
    )
    return PaymentSignature(
        x402_version=2, scheme="zk-rln-credit", network=network, payload=payload
    )
