"""Annotated types for wire fields: field elements and amounts as strict decimal strings."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer, ValidationInfo

from prover.crypto.errors import CryptoError
from prover.crypto.field import parse_field

UINT64_BOUND = 1 << 64
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,77}")
_LOWER_HEX = re.compile(r"[0-9a-f]*")


def _field_from_str(value: object, info: ValidationInfo) -> int:
    # JSON numbers lose precision above 2^53 in many clients: on the wire, field elements travel
    # as strict decimal strings. Python callers may pass ints (still canonical, never reduced).
    if info.mode == "python" and type(value) is int:
        value = str(value) if value >= 0 else "-"
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
        raise ValueError("must be a decimal string (no sign, no leading zeros, no hex)")
    try:
        return parse_field(value)
    except CryptoError as exc:
        raise ValueError(str(exc)) from exc


def _uint64_from_str(value: object, info: ValidationInfo) -> int:
    parsed = _field_from_str(value, info)
    if parsed >= UINT64_BOUND:
        raise ValueError("must be below 2^64")
    return parsed


def _hex_bytes(length: int) -> BeforeValidator:
    def parse(value: object, info: ValidationInfo) -> bytes:
        if info.mode == "python" and isinstance(value, bytes):
            if len(value) != length:
                raise ValueError(f"must be exactly {length} bytes")
            return value
        if not isinstance(value, str) or not value.startswith("0x"):
            raise ValueError("must be a 0x-prefixed hex string")
        body = value[2:]
        if len(body) != 2 * length:
            raise ValueError(f"must be exactly {length} bytes")
        if not _LOWER_HEX.fullmatch(body):  # one encoding: lower-case hex digits only
            raise ValueError("must be lower-case hex digits")
        return bytes.fromhex(body)

    return BeforeValidator(parse)


FieldElement = Annotated[
    int, BeforeValidator(_field_from_str), PlainSerializer(str, return_type=str)
]
"""A canonical BN254 field element, on the wire as a decimal string."""

Amount = Annotated[int, BeforeValidator(_uint64_from_str), PlainSerializer(str, return_type=str)]
"""A uint64 amount in the vault's accounting unit, on the wire as a decimal string."""


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


ProofBytes = Annotated[bytes, _hex_bytes(256), PlainSerializer(_hex, return_type=str)]
"""A Groth16 proof in calldata order (a, b with G2 words swapped, c): 256 bytes, 0x-hex."""

RequestId = Annotated[bytes, _hex_bytes(16), PlainSerializer(_hex, return_type=str)]
"""The 128-bit random client request id of D5, 0x-hex."""

Hash32 = Annotated[bytes, _hex_bytes(32), PlainSerializer(_hex, return_type=str)]
"""A 32-byte hash (keccak256), 0x-hex."""
