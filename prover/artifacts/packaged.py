"""Read the build's artifacts from the package (`prover/artifacts/data/`, importlib.resources).

Layout (written by `prover.toolchain.artifact_build`, described by `manifest.json`):

- `contracts.json`: name → compiled contract (ABI, creation and runtime bytecode) for the vaults,
  the Poseidon libraries, the test contracts, the ERC-8004 registries and the dev verifiers;
- `errors_abi.json`: every custom error of the vault and test contracts (revert decoding);
- `verifiers.json`: circuit → the verifier the build rendered from the dev key (vk hash, setup,
  source sha256, runtime codehash, compiler);
- `instances.json`: a copy of `circuits/instances.json`;
- `circuits/<name>/<name>_js/{<name>.wasm, witness_calculator.js}` and
  `keys/<name>/verification_key.json` (dev keys).
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, ValidationError

from prover.artifacts.errors import ArtifactsError, PackagedArtifactMissingError
from prover.toolchain.compiled import CompiledContract

DATA_DIR_NAME: Final = "data"
MANIFEST_NAME: Final = "manifest.json"
BUILD_HINT: Final = "run `python scripts/build_artifacts.py` in the checkout, then reinstall"


class PackagedVerifier(BaseModel):
    """The verifier the build made from one circuit's dev verifying key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    circuit: str
    contract: str
    vk_hash: str
    setup: str
    source_sha256: str
    runtime_codehash: str
    compiler: str


class ArtifactManifest(BaseModel):
    """`manifest.json`: what was built, from which inputs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: str
    inputs_sha256: str
    files: dict[str, str]
    """relative path → sha256 of every packaged file."""


def data_dir() -> Path:
    """The directory holding the artifacts (a real directory in a wheel or editable install)."""
    return Path(str(files("prover.artifacts").joinpath(DATA_DIR_NAME)))


def artifact_path(relative: str) -> Path:
    """Path of one packaged file; raises `PackagedArtifactMissingError` if it was not built."""
    path = data_dir() / relative
    if not path.is_file():
        raise PackagedArtifactMissingError(
            f"the packaged artifact {relative} is missing; {BUILD_HINT}", field=relative
        )
    return path


def _json(relative: str) -> Any:
    path = artifact_path(relative)
    try:
        return json.loads(path.read_text())
    except ValueError as exc:
        raise ArtifactsError(f"packaged {relative} is not JSON: {exc}", field=relative) from exc


def manifest() -> ArtifactManifest:
    try:
        return ArtifactManifest.model_validate(_json(MANIFEST_NAME))
    except ValidationError as exc:
        raise ArtifactsError(f"packaged manifest is malformed: {exc}", field=MANIFEST_NAME) from exc


@lru_cache(maxsize=1)
def contracts() -> dict[str, CompiledContract]:
    """Every packaged compiled contract, by name."""
    raw = _json("contracts.json")
    try:
        return {name: CompiledContract.model_validate(item) for name, item in raw.items()}
    except (ValidationError, AttributeError) as exc:
        raise ArtifactsError(
            f"packaged contracts.json is malformed: {exc}", field="contracts.json"
        ) from exc


def contract(name: str) -> CompiledContract:
    """One packaged contract; raises `PackagedArtifactMissingError` naming it if absent."""
    found = contracts().get(name)
    if found is None:
        raise PackagedArtifactMissingError(
            f"contract {name!r} is not among the packaged artifacts; {BUILD_HINT}", field=name
        )
    return found


@lru_cache(maxsize=1)
def errors_abi() -> tuple[dict[str, Any], ...]:
    """Every custom `error` ABI entry of the vault and test contracts."""
    return tuple(_json("errors_abi.json"))


@lru_cache(maxsize=1)
def verifiers() -> dict[str, PackagedVerifier]:
    """circuit → the dev verifier the build rendered and compiled (empty if none was built)."""
    path = data_dir() / "verifiers.json"
    if not path.is_file():
        return {}
    try:
        raw = json.loads(path.read_text())
        return {c: PackagedVerifier.model_validate(v) for c, v in raw.items()}
    except (ValueError, ValidationError, AttributeError) as exc:
        raise ArtifactsError(
            f"packaged verifiers.json is malformed: {exc}", field="verifiers.json"
        ) from exc


def instances_file() -> Path:
    """The packaged copy of `circuits/instances.json`."""
    return artifact_path("instances.json")


def circuit_dir(name: str) -> Path:
    """`circuits/<name>/` (holding `<name>_js/<name>.wasm` and `witness_calculator.js`)."""
    artifact_path(f"circuits/{name}/{name}_js/{name}.wasm")
    return data_dir() / "circuits" / name


def verifying_key_path(name: str) -> Path:
    """The dev verifying key of circuit `name` (snarkjs JSON)."""
    return artifact_path(f"keys/{name}/verification_key.json")


def clear_cache() -> None:
    """Forget what was read (the build calls this after it rewrote the artifacts)."""
    contracts.cache_clear()
    errors_abi.cache_clear()
    verifiers.cache_clear()
