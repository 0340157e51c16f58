"""The BN254 scalar field F_p: canonical checks, 32-byte encoding, strict parsing."""

from __future__ import annotations

import re
from typing import Final

from prover.crypto.errors import EncodingError, NonCanonicalError

P: Final[int] = 21888242871839275222246405745257275088548364400416034343698204186575808495617
"""Order of the BN254 scalar field (the SNARK field)."""

FIELD_BYTES: Final[int] = 32

_DECIMAL_RE: Final = re.compile(r"(?:0|[1-9][0-9]{0,77})")
_HEX_RE: Final = re.compile(r"0x[0-9a-fA-F]{1,64}")


def is_canonical(value: object) -> bool:
    """True iff `value` is an `int` (not a bool) with 0 <= value < P."""
    return type(value) is int and 0 <= value < P


def require_canonical(value: object, name: str) -> int:
    """Return `value` if it is a canonical field element; raise `NonCanonicalError` otherwise.

    Values >= P and negative values are rejected, never reduced.
    """
    if type(value) is not int:
        raise NonCanonicalError(
            f"{name} must be an int field element, got {type(value).__name__}", field=name
        )
    if value < 0:
        raise NonCanonicalError(f"{name} is negative: {value}", field=name)
    if value >= P:
        raise NonCanonicalError(f"{name} is not below the field modulus: {value}", field=name)
    return value


def require_range(value: object, bound: int, name: str) -> int:
    """Return `value` if it is an int with 0 <= value < bound; raise `NonCanonicalError`."""
    if type(value) is not int:
        raise NonCanonicalError(f"{name} must be an int, got {type(value).__name__}", field=name)
    if not 0 <= value < bound:
        raise NonCanonicalError(f"{name} must be in [0, {bound}), got {value}", field=name)
    return value


def to_bytes32(value: int, name: str = "value") -> bytes:
    """Canonical field element -> 32 bytes big-endian."""
    return require_canonical(value, name).to_bytes(FIELD_BYTES, "big")


def from_bytes32(data: bytes, name: str = "value") -> int:
    """32 bytes big-endian -> canonical field element (rejects length != 32 and values >= P)."""
    if not isinstance(data, bytes | bytearray) or len(data) != FIELD_BYTES:
        raise EncodingError(f"{name} must be exactly {FIELD_BYTES} bytes", field=name)
    return require_canonical(int.from_bytes(data, "big"), name)


def parse_field(text: str, name: str = "value") -> int:
    """Parse a canonical field element from a strict decimal or `0x` hex string.

    Decimal: digits only, no sign, no whitespace, no leading zeros (except "0").
    Hex: `0x` then 1..64 hex digits. The value must be < P.
    """
    if not isinstance(text, str):
        raise EncodingError(f"{name} must be a string, got {type(text).__name__}", field=name)
    if _DECIMAL_RE.fullmatch(text):
        value = int(text, 10)
    elif _HEX_RE.fullmatch(text):
        value = int(text[2:], 16)
    else:
        raise EncodingError(
            f"{name} is not a strict decimal or 0x-hex integer: {text!r}", field=name
        )
    return require_canonical(value, name)


def to_decimal(value: int, name: str = "value") -> str:
    """Canonical field element -> decimal string (the wire form)."""
    return str(require_canonical(value, name))


def inv(value: int, name: str = "value") -> int:
    """Multiplicative inverse in F_p; zero has none."""
    if require_canonical(value, name) == 0:
        raise NonCanonicalError(f"{name} is zero and has no inverse", field=name)
    return pow(value, -1, P)


def sqrt(value: int) -> int | None:
    """A square root of `value` in F_p (Tonelli-Shanks), or None if it is not a square."""
    v = require_canonical(value, "value")
    if v == 0:
        return 0
    if pow(v, (P - 1) // 2, P) != 1:
        return None
    q, s = P - 1, 0
    while q % 2 == 0:
        q //= 2
        s += 1
    z = 5  # 5 is a quadratic non-residue mod P
    m, c, t, r = s, pow(z, q, P), pow(v, q, P), pow(v, (q + 1) // 2, P)
    while t != 1:
        i, t2 = 0, t
        while t2 != 1:
            t2 = t2 * t2 % P
            i += 1
        b = pow(c, 1 << (m - i - 1), P)
        m, c, t, r = i, b * b % P, t * b * b % P, r * b % P
    return r
