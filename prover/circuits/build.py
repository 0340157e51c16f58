"""`zkcredits circuits build`: compile → keys (dev setup cached by r1cs hash, or a ceremony zkey)
→ verification key + vk hash → Solidity verifier, for every circuit instance."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from prover.circuits.artifacts import (
    CIRCUITS_BUILD_DIR,
    GENERATED_DIR,
    KEYS_DIR,
    CircuitArtifacts,
)
from prover.circuits.keys import SetupResult, ensure_dev_keys, import_ceremony_keys, load_vk
from prover.circuits.verifier_export import write_verifier

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuildDirs:
    """Where a build reads and writes (defaults: the repository's build tree)."""

    circuits: Path = CIRCUITS_BUILD_DIR
    keys: Path = KEYS_DIR
    generated: Path = GENERATED_DIR


@dataclass(frozen=True)
class CircuitBuild:
    """What the build produced for one circuit."""

    name: str
    setup: SetupResult
    verifier: Path

    @property
    def vk_hash(self) -> str:
        return self.setup.manifest.vk_hash


def compile_circuit(name: str, dirs: BuildDirs) -> CircuitArtifacts:
    """Compile one instance with `prover.circuits.compiler` (circom2 --O2)."""
    from prover.circuits.compiler import compile_circuit as compile_instance

    compile_instance(name, dirs.circuits)
    return CircuitArtifacts.built(name, dirs.circuits)


def build_circuit(
    artifacts: CircuitArtifacts,
    dirs: BuildDirs,
    *,
    zkey: Path | None = None,
    transcript: Path | None = None,
) -> CircuitBuild:
    """Keys (dev setup cached by r1cs, or the given ceremony zkey) and the verifier."""
    if zkey is not None:
        setup = import_ceremony_keys(artifacts, zkey, dirs.keys, transcript)
    else:
        setup = ensure_dev_keys(artifacts, dirs.keys)
    verifier = write_verifier(load_vk(setup.directory), setup.manifest, dirs.generated)
    return CircuitBuild(artifacts.name, setup, verifier)


def build_all(
    names: Sequence[str],
    dirs: BuildDirs,
    *,
    compile_first: bool = True,
    zkeys: Mapping[str, Path] | None = None,
    progress: Progress = lambda _: None,
) -> list[CircuitBuild]:
    """Build every named circuit; `zkeys` maps a circuit to a ceremony zkey to import."""
    results = []
    for name in names:
        if compile_first:
            progress(f"{name}: compiling (circom2 --O2)")
            artifacts = compile_circuit(name, dirs)
        else:
            artifacts = CircuitArtifacts.in_dir(name, dirs.circuits / name)
        zkey = (zkeys or {}).get(name)
        progress(f"{name}: " + ("importing ceremony zkey" if zkey else "keys (dev setup, cached)"))
        results.append(build_circuit(artifacts, dirs, zkey=zkey))
        progress(f"{name}: done")
    return results
