"""The files a provider publishes so clients can prove without building keys (issue 12.5).

Per circuit, four files: the proving key (groth16py format, `build/keys/<c>/proving_key.bin`),
the verifying key (`verification_key.json`), the circuit's witness program (`<c>.wasm`) and its
constraint system (`<c>.r1cs`, for the witness check before proving). They are named
`<circuit>/<file>` everywhere: in the registration file (with their sha256), in the gateway's
route `GET /.well-known/zkcredits/keys/<circuit>/<file>`, and in the client's cache. circom's
`witness_calculator.js` is not published: it is the same for every circuit (circom's runtime)
and the client runs its own copy (`js/witness_calculator.js`), never code from a provider.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Final

from prover.circuits.artifacts import CIRCUITS_BUILD_DIR, KEYS_DIR, CircuitArtifacts
from prover.circuits.errors import ArtifactError
from prover.circuits.manifest import PROVING_KEY_NAME, VK_JSON_NAME, read_manifest
from prover.plumbing.digest import sha256_file

WITNESS_RUNTIME: Final = Path(__file__).parent / "js" / "witness_calculator.js"
"""circom 2.2.3's witness runtime (identical for every circuit), run with a fetched wasm."""


def file_names(circuit: str) -> tuple[str, ...]:
    """The published files of one circuit, in a fixed order."""
    return (PROVING_KEY_NAME, VK_JSON_NAME, f"{circuit}.wasm", f"{circuit}.r1cs")


def is_published_name(name: str) -> bool:
    """`<circuit>/<file>` with a file this module publishes (refuses paths like `../x`)."""
    circuit, sep, file = name.partition("/")
    return bool(sep) and circuit.isidentifier() and file in file_names(circuit)


def published_paths(
    circuit: str, keys_dir: Path = KEYS_DIR, circuits_dir: Path = CIRCUITS_BUILD_DIR
) -> dict[str, Path]:
    """`<circuit>/<file>` → where the build keeps it (the key directory hash-checked first)."""
    directory = keys_dir / circuit
    read_manifest(directory)
    artifacts = CircuitArtifacts.in_dir(circuit, circuits_dir / circuit)
    paths = {
        PROVING_KEY_NAME: directory / PROVING_KEY_NAME,
        VK_JSON_NAME: directory / VK_JSON_NAME,
        f"{circuit}.wasm": artifacts.wasm,
        f"{circuit}.r1cs": artifacts.r1cs,
    }
    for name, path in paths.items():
        if not path.is_file():
            raise ArtifactError(f"{path} is missing: cannot publish {circuit}/{name}", field=name)
    return {f"{circuit}/{name}": path for name, path in paths.items()}


def published_files(
    circuits: Iterable[str],
    keys_dir: Path = KEYS_DIR,
    circuits_dir: Path = CIRCUITS_BUILD_DIR,
) -> dict[str, Path]:
    """Every published file of `circuits`."""
    out: dict[str, Path] = {}
    for circuit in circuits:
        out |= published_paths(circuit, keys_dir, circuits_dir)
    return out


def file_hashes(files: dict[str, Path]) -> dict[str, str]:
    """`<circuit>/<file>` → sha256 hex of its bytes."""
    return {name: sha256_file(path) for name, path in sorted(files.items())}
