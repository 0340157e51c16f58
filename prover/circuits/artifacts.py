"""Where compiled circuits, keys, ptau files and generated verifiers live.

A compiled circuit is circom's standard output in `build/circuits/<name>/`:
`<name>.r1cs` and `<name>_js/{<name>.wasm, witness_calculator.js}` (circom2 --O2, written by the
circuits engineer's `compiler.py`). Keys go to `build/keys/<name>/`, verifiers to
`contracts/generated/`, powers of tau to `build/ptau/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from prover.circuits.errors import ArtifactError
from prover.toolchain.checkout import in_checkout
from prover.toolchain.paths import BUILD_DIR, REPO_ROOT

CIRCUITS_BUILD_DIR: Final = BUILD_DIR / "circuits"
KEYS_DIR: Final = BUILD_DIR / "keys"
PTAU_DIR: Final = BUILD_DIR / "ptau"
CEREMONY_DIR: Final = BUILD_DIR / "ceremony"
GENERATED_DIR: Final = (
    REPO_ROOT / "contracts" / "generated" if in_checkout() else Path("contracts") / "generated"
)

CIRCUIT_NAMES: Final = ("request", "withdraw", "slash")
"""Every circuit instance the protocol deploys or proves."""

VERIFIER_CONTRACTS: Final = {
    "request": "RequestVerifier",
    "withdraw": "WithdrawVerifier",
    "slash": "SlashVerifier",
}


@dataclass(frozen=True)
class CircuitArtifacts:
    """The files of one compiled circuit."""

    name: str
    r1cs: Path
    wasm: Path
    witness_calculator_js: Path

    @classmethod
    def in_dir(cls, name: str, directory: Path) -> CircuitArtifacts:
        """Locate circom's output for `name` in `directory`; every file must exist."""
        artifacts = cls(
            name=name,
            r1cs=directory / f"{name}.r1cs",
            wasm=directory / f"{name}_js" / f"{name}.wasm",
            witness_calculator_js=directory / f"{name}_js" / "witness_calculator.js",
        )
        for path in (artifacts.r1cs, artifacts.wasm, artifacts.witness_calculator_js):
            if not path.is_file():
                raise ArtifactError(
                    f"circuit {name!r} is not compiled: {path} is missing", field=name
                )
        return artifacts

    @classmethod
    def built(cls, name: str, build_dir: Path = CIRCUITS_BUILD_DIR) -> CircuitArtifacts:
        """The circuit as compiled into `build/circuits/<name>/`."""
        return cls.in_dir(name, build_dir / name)


def verifier_contract_name(circuit: str) -> str:
    """`request` → `RequestVerifier` (fallback: CamelCase of the name + `Verifier`)."""
    known = VERIFIER_CONTRACTS.get(circuit)
    if known:
        return known
    return "".join(part.capitalize() for part in circuit.replace("-", "_").split("_")) + "Verifier"
