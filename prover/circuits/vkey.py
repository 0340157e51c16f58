"""Verifying keys in snarkjs JSON form, and the vk hash that contracts and clients pin.

vk hash (docs/protocol-decisions.md, "Setup and proving"): keccak256 over the 32-byte big-endian
words, in the order of the snarkjs Solidity verifier's constants (G2 coordinates c1 before c0,
EIP-197 order):

    alpha1.x, alpha1.y,
    beta2.x.c1, beta2.x.c0, beta2.y.c1, beta2.y.c0,
    gamma2.x.c1, gamma2.x.c0, gamma2.y.c1, gamma2.y.c0,
    delta2.x.c1, delta2.x.c0, delta2.y.c1, delta2.y.c0,
    IC[0].x, IC[0].y, …, IC[nPublic].x, IC[nPublic].y

i.e. `keccak256(abi.encodePacked(...those uint256 constants...))`, written `0x` + 64 hex digits.

A key with `gamma == delta` is refused on parsing (`ForgeableKeyError`), so no path (build,
ceremony install, key loading, discovery, a fetched key) can accept one: with equal gamma and
delta anyone forges a proof of any statement (A = alpha, B = beta, C = -sum(x_i * IC_i)). A
snarkjs zkey with no phase-2 contribution has exactly that (gamma = delta = the G2 generator).
"""

from __future__ import annotations

import json
from typing import Any

from eth_hash.auto import keccak
from pydantic import BaseModel, ConfigDict, Field, field_validator

from prover.circuits.errors import ArtifactError, ForgeableKeyError
from prover.circuits.proof import Q

G1 = list[str]
G2 = list[list[str]]


class SnarkjsVerifyingKey(BaseModel):
    """snarkjs `verification_key.json` for Groth16 over bn128 (affine points, z = 1)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    protocol: str
    curve: str
    n_public: int = Field(alias="nPublic")
    vk_alpha_1: G1
    vk_beta_2: G2
    vk_gamma_2: G2
    vk_delta_2: G2
    ic: list[G1] = Field(alias="IC")

    @field_validator("protocol")
    @classmethod
    def _groth16(cls, value: str) -> str:
        if value != "groth16":
            raise ValueError(f"protocol must be groth16, got {value!r}")
        return value

    @field_validator("curve")
    @classmethod
    def _bn128(cls, value: str) -> str:
        if value not in ("bn128", "bn254"):
            raise ValueError(f"curve must be bn128, got {value!r}")
        return value

    def words(self) -> list[int]:
        """The vk's points as integers, in the hash/verifier-constant order."""
        if len(self.ic) != self.n_public + 1:
            raise ArtifactError(
                f"vk has {len(self.ic)} IC points for nPublic = {self.n_public}", field="IC"
            )
        out = [*_g1(self.vk_alpha_1, "vk_alpha_1")]
        for name in ("vk_beta_2", "vk_gamma_2", "vk_delta_2"):
            out += _g2(getattr(self, name), name)
        for i, point in enumerate(self.ic):
            out += _g1(point, f"IC[{i}]")
        return out

    def check_not_forgeable(self) -> None:
        """Refuse `gamma == delta` (see the module docstring)."""
        gamma = _g2(self.vk_gamma_2, "vk_gamma_2")
        if gamma == _g2(self.vk_delta_2, "vk_delta_2"):
            raise ForgeableKeyError(
                "verifying key has gamma == delta: anyone can forge proofs for it (a phase 2 "
                "with no contribution?)",
                field="vk_delta_2",
            )

    def hash_hex(self) -> str:
        """The vk hash, `0x` + 64 hex digits."""
        return vk_hash(self)

    def canonical_json(self) -> str:
        """Deterministic JSON (sorted keys, snarkjs field names)."""
        return json.dumps(self.model_dump(by_alias=True), sort_keys=True, indent=1)


def parse_vk(text: str | dict[str, Any]) -> SnarkjsVerifyingKey:
    """Parse a snarkjs vk (JSON text or dict); errors name the file field.

    Raises `ForgeableKeyError` for a key with `gamma == delta`.
    """
    try:
        data = json.loads(text) if isinstance(text, str) else text
        vk = SnarkjsVerifyingKey.model_validate(data)
    except (ValueError, TypeError) as exc:
        raise ArtifactError(f"malformed verifying key: {exc}", field="verification_key") from exc
    vk.check_not_forgeable()
    return vk


def vk_hash(vk: SnarkjsVerifyingKey) -> str:
    """keccak256 of the packed vk words (see the module docstring)."""
    packed = b"".join(w.to_bytes(32, "big") for w in vk.words())
    return "0x" + keccak(packed).hex()


def _coord(value: object, name: str) -> int:
    if not isinstance(value, str) or not value.isdigit():
        raise ArtifactError(f"{name} is not a decimal string", field=name)
    number = int(value)
    if number >= Q:
        raise ArtifactError(f"{name} is not below the base field", field=name)
    return number


def _g1(point: G1, name: str) -> list[int]:
    if len(point) != 3 or point[2] != "1":
        raise ArtifactError(f"{name} must be an affine [x, y, '1']", field=name)
    return [_coord(point[0], f"{name}.x"), _coord(point[1], f"{name}.y")]


def _g2(point: G2, name: str) -> list[int]:
    if len(point) != 3 or point[2] != ["1", "0"] or any(len(c) != 2 for c in point[:2]):
        raise ArtifactError(
            f"{name} must be an affine [[x0, x1], [y0, y1], ['1', '0']]", field=name
        )
    (x0, x1), (y0, y1) = point[0], point[1]
    return [
        _coord(x1, f"{name}.x.c1"),
        _coord(x0, f"{name}.x.c0"),
        _coord(y1, f"{name}.y.c1"),
        _coord(y0, f"{name}.y.c0"),
    ]
