"""The Groth16 proof as it travels: 256 calldata bytes plus canonical public signals.

Calldata order (what groth16py returns and what the Solidity verifier takes):
`a.x, a.y, b.x.c1, b.x.c0, b.y.c1, b.y.c0, c.x, c.y`, each a 32-byte big-endian word (the G2
coordinates are already swapped into EIP-197 order). snarkjs's proof.json keeps G2 coordinates
as `[c0, c1]` and adds projective `z` coordinates (`"1"`, `["1", "0"]`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Final

from pydantic import BaseModel, BeforeValidator, ConfigDict, field_serializer, field_validator

from prover.circuits.errors import MalformedProofError, MalformedSignalsError

P: Final[int] = 21888242871839275222246405745257275088548364400416034343698204186575808495617
"""BN254 scalar field order: public signals live in [0, P)."""
Q: Final[int] = 21888242871839275222246405745257275088696311157297823662689037894645226208583
"""BN254 base field order: proof coordinates live in [0, Q)."""
PROOF_BYTES: Final[int] = 256
_WORD_NAMES: Final = ("a.x", "a.y", "b.x.c1", "b.x.c0", "b.y.c1", "b.y.c0", "c.x", "c.y")
_DECIMAL: Final = re.compile(r"0|[1-9][0-9]{0,77}")


def parse_signal(value: object, name: str) -> int:
    """A canonical field element from an int or a decimal string; anything else is refused."""
    if isinstance(value, str):
        if not _DECIMAL.fullmatch(value):
            raise MalformedSignalsError(f"{name} is not a canonical decimal: {value!r}", field=name)
        number = int(value)
    elif type(value) is int:
        number = value
    else:
        raise MalformedSignalsError(
            f"{name} must be an int or decimal string, got {type(value).__name__}", field=name
        )
    if not 0 <= number < P:
        raise MalformedSignalsError(f"{name} is not in [0, p): {number}", field=name)
    return number


def parse_signals(values: Sequence[object], expected: int | None = None) -> list[int]:
    """Canonical public signals as ints; `expected` pins their count."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise MalformedSignalsError("public_signals must be a list", field="public_signals")
    if expected is not None and len(values) != expected:
        raise MalformedSignalsError(
            f"public_signals has {len(values)} entries, the circuit has {expected}",
            field="public_signals",
        )
    return [parse_signal(v, f"public_signals[{i}]") for i, v in enumerate(values)]


def calldata_words(blob: bytes) -> list[int]:
    """The eight 256-bit words of a calldata proof, each checked to be below Q."""
    if not isinstance(blob, (bytes, bytearray)):
        raise MalformedProofError("proof must be bytes", field="proof")
    if len(blob) != PROOF_BYTES:
        raise MalformedProofError(
            f"proof must be {PROOF_BYTES} bytes, got {len(blob)}", field="proof"
        )
    words = [int.from_bytes(blob[i : i + 32], "big") for i in range(0, PROOF_BYTES, 32)]
    for name, word in zip(_WORD_NAMES, words, strict=True):
        if word >= Q:
            raise MalformedProofError(f"proof.{name} is not below the base field", field=name)
    return words


def _coerce_blob(value: object) -> object:
    if isinstance(value, str):
        text = value.removeprefix("0x")
        if not re.fullmatch(r"[0-9a-fA-F]*", text):
            raise ValueError("calldata must be hex")
        return bytes.fromhex(text)
    return value


class Proof(BaseModel):
    """A proof and its public signals (decimal strings, canonical, snarkjs order).

    JSON form: `{"calldata": "0x<512 hex digits>", "public_signals": ["…", …]}`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    calldata: Annotated[bytes, BeforeValidator(_coerce_blob)]
    public_signals: list[str]

    @field_validator("calldata")
    @classmethod
    def _check_calldata(cls, value: bytes) -> bytes:
        calldata_words(value)
        return bytes(value)

    @field_validator("public_signals", mode="before")
    @classmethod
    def _check_signals(cls, value: object) -> list[str]:
        if not isinstance(value, Sequence) or isinstance(value, (str, bytes)):
            raise MalformedSignalsError("public_signals must be a list", field="public_signals")
        return [str(v) for v in parse_signals(value)]

    @field_serializer("calldata")
    def _serialize_calldata(self, value: bytes) -> str:
        return "0x" + value.hex()

    @property
    def signals(self) -> list[int]:
        """Public signals as ints."""
        return [int(v) for v in self.public_signals]

    def solidity_args(self) -> tuple[list[int], list[list[int]], list[int], list[int]]:
        """`(a, b, c, input)` for `verifyProof(uint[2], uint[2][2], uint[2], uint[N])`."""
        w = calldata_words(self.calldata)
        return [w[0], w[1]], [[w[2], w[3]], [w[4], w[5]]], [w[6], w[7]], self.signals

    def to_snarkjs(self) -> dict[str, Any]:
        """snarkjs `proof.json`."""
        return calldata_to_snarkjs(self.calldata)


def calldata_to_snarkjs(blob: bytes) -> dict[str, Any]:
    """Calldata blob → snarkjs proof.json (G2 words swapped back to `[c0, c1]`)."""
    w = [str(v) for v in calldata_words(blob)]
    return {
        "pi_a": [w[0], w[1], "1"],
        "pi_b": [[w[3], w[2]], [w[5], w[4]], ["1", "0"]],
        "pi_c": [w[6], w[7], "1"],
        "protocol": "groth16",
        "curve": "bn128",
    }


def snarkjs_to_calldata(proof: Mapping[str, Any]) -> bytes:
    """snarkjs proof.json → calldata blob; affine points only (z = 1), names the bad field."""
    if not isinstance(proof, Mapping):
        raise MalformedProofError("proof.json must be an object", field="proof")
    if proof.get("protocol", "groth16") != "groth16":
        raise MalformedProofError("proof.protocol must be groth16", field="protocol")
    if proof.get("curve", "bn128") not in ("bn128", "bn254"):
        raise MalformedProofError("proof.curve must be bn128", field="curve")
    a = _g1(proof.get("pi_a"), "pi_a")
    b = _g2(proof.get("pi_b"), "pi_b")
    c = _g1(proof.get("pi_c"), "pi_c")
    words = [a[0], a[1], b[0][1], b[0][0], b[1][1], b[1][0], c[0], c[1]]
    return b"".join(w.to_bytes(32, "big") for w in words)


def _coord(value: object, name: str) -> int:
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
        raise MalformedProofError(f"{name} must be a canonical decimal string", field=name)
    number = int(value)
    if number >= Q:
        raise MalformedProofError(f"{name} is not below the base field", field=name)
    return number


def _g1(value: object, name: str) -> tuple[int, int]:
    if not isinstance(value, list) or len(value) != 3:
        raise MalformedProofError(f"{name} must be [x, y, z]", field=name)
    if value[2] != "1":
        raise MalformedProofError(f"{name} must be affine (z = 1)", field=name)
    return _coord(value[0], f"{name}[0]"), _coord(value[1], f"{name}[1]")


def _g2(value: object, name: str) -> tuple[tuple[int, int], tuple[int, int]]:
    if not isinstance(value, list) or len(value) != 3 or value[2] != ["1", "0"]:
        raise MalformedProofError(f"{name} must be [[x0, x1], [y0, y1], ['1', '0']]", field=name)
    pairs = []
    for i in (0, 1):
        pair = value[i]
        if not isinstance(pair, list) or len(pair) != 2:
            raise MalformedProofError(f"{name}[{i}] must be a pair", field=f"{name}[{i}]")
        pairs.append((_coord(pair[0], f"{name}[{i}][0]"), _coord(pair[1], f"{name}[{i}][1]")))
    return pairs[0], pairs[1]
