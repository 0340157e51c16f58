"""Build the package's artifacts from the checkout (build time only; see `prover.artifacts`).

Compiles the vault, the Poseidon libraries, the test contracts and the ERC-8004 registries,
renders and compiles the dev verifiers from `build/keys/`, and copies the circuit wasm, the dev
verifying keys and `circuits/instances.json` into `prover/artifacts/data/`. Idempotent: the
sha256 of every input (sources, compiler version, keys, wasm) is recorded in `manifest.json`,
and a build whose inputs are unchanged does nothing. Run by `scripts/setup.sh`, by the tests'
session fixture and on demand (`python scripts/build_artifacts.py [--force]`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from prover.artifacts.packaged import (
    MANIFEST_NAME,
    ArtifactManifest,
    PackagedVerifier,
    clear_cache,
    data_dir,
)
from prover.toolchain.checkout import checkout_root
from prover.toolchain.compiled import CompiledContract
from prover.toolchain.paths import SOLC_VERSION

FORMAT: Final = "zkcredits-artifacts-v1"
CIRCUITS: Final = ("request", "withdraw", "slash")
DEPLOYED_VERIFIERS: Final = ("withdraw", "slash")


@dataclass(frozen=True)
class BuildReport:
    built: bool
    """False when the inputs were unchanged (nothing was written)."""
    directory: Path
    inputs_sha256: str
    files: int


def _inputs(root: Path) -> list[Path]:
    paths = sorted((root / "contracts").rglob("*.sol"))
    paths = [p for p in paths if "generated" not in p.relative_to(root).parts]
    paths += [root / "node_modules/poseidon-solidity" / f"PoseidonT{n}.sol" for n in (3, 5)]
    paths.append(root / "circuits" / "instances.json")
    for circuit in CIRCUITS:
        paths += [
            root / "build/keys" / circuit / "verification_key.json",
            root / "build/keys" / circuit / "manifest.json",
            root / "build/circuits" / circuit / f"{circuit}_js" / f"{circuit}.wasm",
            root / "build/circuits" / circuit / f"{circuit}_js" / "witness_calculator.js",
        ]
    paths.append(root / "node_modules/snarkjs/templates/verifier_groth16.sol.ejs")
    return paths


def inputs_sha256(root: Path) -> str:
    """One digest over the builder's format, the compiler and every input file present."""
    digest = hashlib.sha256(f"{FORMAT} solc {SOLC_VERSION}\0".encode())
    for path in _inputs(root):
        rel = path.relative_to(root).as_posix()
        content = path.read_bytes() if path.is_file() else b"<absent>"
        digest.update(rel.encode() + b"\0" + hashlib.sha256(content).digest())
    return digest.hexdigest()


def _up_to_date(out: Path, digest: str) -> bool:
    try:
        manifest = ArtifactManifest.model_validate_json((out / MANIFEST_NAME).read_text())
    except (OSError, ValueError):
        return False
    if manifest.inputs_sha256 != digest:
        return False
    return all((out / rel).is_file() for rel in manifest.files)


def _cached(root: Path, kind: str, key: str, make: Any) -> Any:
    """`make()`'s JSON result, cached under build/contracts/ by `key` (a digest of its inputs):
    new keys re-render the verifiers without recompiling the vault, and the reverse."""
    cache = root / "build" / "contracts" / f"packaged-{kind}-{key[:24]}.json"
    if cache.is_file():
        return json.loads(cache.read_text())
    value = make()
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp")
    tmp.write_text(json.dumps(value, sort_keys=True))
    tmp.replace(cache)
    return value


def _sources_key(root: Path) -> str:
    digest = hashlib.sha256(f"{FORMAT} solc {SOLC_VERSION}\0".encode())
    sources = [p for p in _inputs(root) if p.suffix == ".sol"]
    for path in sources:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _contracts(root: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    made = _cached(root, "contracts", _sources_key(root), _compile_contracts)
    return made["contracts"], made["errors"]


def _compile_contracts() -> dict[str, Any]:
    from prover.chain.artifacts import compile_vault_artifacts
    from prover.chain.erc8004_build import compile_registries

    vaults = compile_vault_artifacts(include_test_contracts=True)
    errors: dict[str, dict[str, Any]] = {}
    for compiled in vaults.values():
        for item in compiled.abi:
            if item.get("type") == "error":
                key = item["name"] + str([i["type"] for i in item.get("inputs", [])])
                errors.setdefault(key, item)
    out = {name: c.model_dump() for name, c in vaults.items()}
    out.update({name: c.model_dump() for name, c in compile_registries().items()})
    return {"contracts": out, "errors": list(errors.values())}


def _verifiers(root: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Render and compile the dev verifiers of `build/keys` (absent keys: none packaged)."""
    from prover.circuits.artifacts import verifier_contract_name
    from prover.circuits.keys import load_vk
    from prover.circuits.manifest import read_manifest
    from prover.circuits.verifier_code import (
        COMPILER_ID,
        compile_verifier,
        runtime_codehash,
        source_sha256,
    )
    from prover.circuits.verifier_export import render_verifier_source

    compiled: dict[str, Any] = {}
    index: dict[str, Any] = {}
    for circuit in CIRCUITS:
        keys = root / "build/keys" / circuit
        if not (keys / "manifest.json").is_file():
            continue
        manifest = read_manifest(keys, check_files=False)
        vk = load_vk(keys)
        source = render_verifier_source(circuit, vk, manifest.setup)
        digest = source_sha256(source)
        contract = CompiledContract.model_validate(
            _cached(
                root,
                f"verifier-{circuit}",
                hashlib.sha256(f"{COMPILER_ID}\0{digest}".encode()).hexdigest(),
                lambda c=circuit, s=source: compile_verifier(c, s).model_dump(),
            )
        )
        index[circuit] = PackagedVerifier(
            circuit=circuit,
            contract=verifier_contract_name(circuit),
            vk_hash=vk.hash_hex(),
            setup=manifest.setup,
            source_sha256=digest,
            runtime_codehash=runtime_codehash(contract),
            compiler=COMPILER_ID,
        ).model_dump()
        if circuit in DEPLOYED_VERIFIERS:
            compiled[contract.name] = contract.model_dump()
    return compiled, index


def _copy_files(root: Path, out: Path) -> None:
    shutil.copyfile(root / "circuits" / "instances.json", out / "instances.json")
    for circuit in CIRCUITS:
        js = root / "build/circuits" / circuit / f"{circuit}_js"
        for name in (f"{circuit}.wasm", "witness_calculator.js"):
            if (js / name).is_file():
                target = out / "circuits" / circuit / f"{circuit}_js" / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(js / name, target)
        vk = root / "build/keys" / circuit / "verification_key.json"
        if vk.is_file():
            (out / "keys" / circuit).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(vk, out / "keys" / circuit / "verification_key.json")


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=1, sort_keys=True) + "\n")


def build_artifacts(*, force: bool = False, out: Path | None = None) -> BuildReport:
    """Build `prover/artifacts/data/` unless its recorded inputs digest is current."""
    root = checkout_root("building the packaged artifacts")
    target = out or data_dir()
    digest = inputs_sha256(root)
    if not force and _up_to_date(target, digest):
        manifest = ArtifactManifest.model_validate_json((target / MANIFEST_NAME).read_text())
        return BuildReport(False, target, digest, len(manifest.files))
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".artifacts-") as tmp:
        staging = Path(tmp) / "data"
        staging.mkdir()
        contracts, errors = _contracts(root)
        verifier_contracts, verifier_index = _verifiers(root)
        contracts.update(verifier_contracts)
        _write_json(staging / "contracts.json", contracts)
        _write_json(staging / "errors_abi.json", errors)
        _write_json(staging / "verifiers.json", verifier_index)
        _copy_files(root, staging)
        files = {
            p.relative_to(staging).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(staging.rglob("*"))
            if p.is_file()
        }
        manifest = ArtifactManifest(format=FORMAT, inputs_sha256=digest, files=files)
        (staging / MANIFEST_NAME).write_text(manifest.model_dump_json(indent=1) + "\n")
        if target.exists():
            old = Path(tmp) / "old"
            target.rename(old)
        staging.rename(target)
    clear_cache()
    return BuildReport(True, target, digest, len(files))
