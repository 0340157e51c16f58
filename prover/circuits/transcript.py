"""The ceremony transcript: every step with the hash snarkjs printed and the sha256 of its file.

Anyone holding the r1cs, the ptau and the final zkey re-checks it with `verify_ceremony`
(`snarkjs zkey verify` of the whole chain, then every recorded hash against the files).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

StepKind = Literal[
    "ptau-new",
    "ptau-contribution",
    "ptau-beacon",
    "ptau-prepare-phase2",
    "ptau-import",
    "zkey-new",
    "zkey-contribution",
    "zkey-beacon",
]


class CeremonyStep(BaseModel):
    """One step. `contribution_hash` is snarkjs's own (128 hex digits), where it prints one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: StepKind
    name: str | None = None
    contribution_hash: str | None = None
    file_sha256: str
    beacon_hash: str | None = None
    beacon_iterations_exp: int | None = None


Purpose = Literal["ceremony", "benchmark", "test"]
"""Who a phase-1 file was made for. The ceremony reuses only its own (`ceremony`) or an explicitly
imported and verified file; a benchmark's or a test's phase 1 is never taken for a ceremony's."""


class PtauRecord(BaseModel):
    """A phase-1 result (prepared for phase 2), cached under build/ptau by its sha256."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    power: int
    sha256: str
    file: str
    source: Literal["generated", "imported"]
    steps: list[CeremonyStep]
    purpose: Purpose | None = None
    """None: recorded before purposes existed; never reused by the ceremony."""
    contributors: list[str] = Field(default_factory=list)
    """Every phase-1 contribution (the beacon included) in order, as the ptau file itself lists
    them (`snarkjs powersoftau verify`)."""


class Transcript(BaseModel):
    """`build/ceremony/<circuit>/transcript.json`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    circuit: str
    r1cs_sha256: str
    circuit_hash: str
    """snarkjs's hash of the circuit (printed by `zkey new`/`zkey verify`)."""
    n_constraints: int
    ptau: PtauRecord
    phase2: list[CeremonyStep]
    final_zkey_sha256: str
    vk_hash: str
    vk_sha256: str
    snarkjs_verify: Literal["ZKey Ok!"]
