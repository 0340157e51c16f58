"""circomlib-compatible Poseidon over BN254 (light-poseidon's bytes API underneath)."""

from __future__ import annotations

from typing import Final

import light_poseidon_python as _lp

from prover.crypto.errors import CryptoError, PoseidonArityError
from prover.crypto.field import P, require_canonical

MAX_ARITY: Final[int] = 12
"""Largest arity light-poseidon 0.1.1 supports (circomlib Poseidon(1..12))."""

_HASHERS: dict[int, object] = {}


def _hasher(arity: int) -> object:
    hasher = _HASHERS.get(arity)
    if hasher is None:
        hasher = _lp.Hasher(arity)
        _HASHERS[arity] = hasher
    return hasher


def _decode(result: object) -> int:
    if not isinstance(result, str) or not result.startswith("0x"):
        raise CryptoError(f"light-poseidon returned an unexpected value: {result!r}")
    value = int(result, 16)
    if value >= P:
        raise CryptoError("light-poseidon returned a non-canonical value")
    return value


def poseidon_unchecked(*inputs: int) -> int:
    """Poseidon of inputs the caller guarantees canonical (hot paths such as Merkle nodes)."""
    hasher = _hasher(len(inputs))
    data = [v.to_bytes(32, "big") for v in inputs]
    return _decode(hasher.hash_bytes_be(data))  # type: ignore[attr-defined]


def poseidon(*inputs: int) -> int:
    """circomlib `Poseidon(len(inputs))` of canonical field elements (arity 1..MAX_ARITY)."""
    if not 1 <= len(inputs) <= MAX_ARITY:
        raise PoseidonArityError(
            f"Poseidon arity must be in [1, {MAX_ARITY}], got {len(inputs)}", field="inputs"
        )
    for i, v in enumerate(inputs):
        require_canonical(v, f"inputs[{i}]")
    return poseidon_unchecked(*inputs)
