"""Compile a circuit instance with `circom2 --O2 --r1cs --wasm --sym`, cached by source hash.

circom2 runs in a WASI sandbox that sees only its working directory, so it runs from the
repository root with relative include paths (`.`, circomlib, zk-kit). The generated main
component and circom's output go to a temporary directory under `build/circuits/`, which is
renamed to `build/circuits/<name>/` only once complete (with `build.json`, holding the cache key,
written last): a crash never leaves a half build that looks complete. A file lock serialises
concurrent compiles of one instance (tests and `zkcredits circuits build` may overlap).

    compiled = compile_circuit("request")      # CompiledCircuit(r1cs=…, wasm=…, n_constraints=…)
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from prover.circuits.artifacts import CIRCUITS_BUILD_DIR, CircuitArtifacts
from prover.circuits.errors import ArtifactError
from prover.circuits.instances import CircuitInstance, get_instance, source_instances_file
from prover.circuits.r1cs import R1csHeader, read_r1cs_header
from prover.toolchain.paths import NODE_MODULES, REPO_ROOT, node_bin

CIRCUITS_SRC: Final = REPO_ROOT / "circuits"
INCLUDE_DIRS: Final = (
    REPO_ROOT,
    NODE_MODULES / "circomlib" / "circuits",
    NODE_MODULES / "@zk-kit" / "circuits" / "circom",
)
FLAGS: Final = ("--O2", "--r1cs", "--wasm", "--sym")
BUILD_INFO: Final = "build.json"
_FORMAT: Final = 1


@dataclass(frozen=True)
class CompiledCircuit:
    """A compiled instance in `build/circuits/<name>/` and facts read from its r1cs header."""

    name: str
    directory: Path
    r1cs: Path
    wasm: Path
    witness_calculator_js: Path
    sym: Path
    n_constraints: int
    n_wires: int
    n_outputs: int
    n_public_inputs: int
    n_private_inputs: int
    source_hash: str
    cached: bool

    @property
    def n_public(self) -> int:
        """Public signals (outputs, then public inputs)."""
        return self.n_outputs + self.n_public_inputs

    @property
    def artifacts(self) -> CircuitArtifacts:
        """The proving pipeline's view of the same files."""
        return CircuitArtifacts.in_dir(self.name, self.directory)


def compiler_version() -> str:
    """The circom2 npm package version (circom 2.2.3 for 0.2.23)."""
    package = NODE_MODULES / "circom2" / "package.json"
    try:
        return str(json.loads(package.read_text())["version"])
    except (OSError, KeyError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"circom2 is not installed ({package})", field="circom2") from exc


def _source_files() -> list[Path]:
    files = [source_instances_file(), *sorted(CIRCUITS_SRC.rglob("*.circom"))]
    for directory in INCLUDE_DIRS[1:]:
        files.extend(sorted(directory.rglob("*.circom")))
    return files


def source_hash(instance: CircuitInstance) -> str:
    """sha256 over every source the build can read, the main file, flags and compiler version."""
    digest = hashlib.sha256()
    digest.update(f"format={_FORMAT};circom2={compiler_version()};{' '.join(FLAGS)}\n".encode())
    digest.update(instance.main_source().encode())
    for path in _source_files():
        data = path.read_bytes()
        rel = path.relative_to(REPO_ROOT).as_posix()
        digest.update(f"{rel}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def _result(
    instance: CircuitInstance, directory: Path, key: str, *, cached: bool
) -> CompiledCircuit:
    name = instance.name
    js = directory / f"{name}_js"
    result_paths = {
        "r1cs": directory / f"{name}.r1cs",
        "wasm": js / f"{name}.wasm",
        "witness_calculator_js": js / "witness_calculator.js",
        "sym": directory / f"{name}.sym",
    }
    for path in result_paths.values():
        if not path.is_file():
            raise ArtifactError(f"compiled {name} is incomplete: {path} is missing", field=name)
    header: R1csHeader = read_r1cs_header(result_paths["r1cs"])
    expected_public = len(instance.signals)
    if header.n_public != expected_public:
        raise ArtifactError(
            f"{name} has {header.n_public} public signals, instances.json lists {expected_public}",
            field=name,
        )
    return CompiledCircuit(
        name=name,
        directory=directory,
        n_constraints=header.n_constraints,
        n_wires=header.n_wires,
        n_outputs=header.n_pub_out,
        n_public_inputs=header.n_pub_in,
        n_private_inputs=header.n_prv_in,
        source_hash=key,
        cached=cached,
        **result_paths,
    )


def _cached(instance: CircuitInstance, directory: Path, key: str) -> CompiledCircuit | None:
    info = directory / BUILD_INFO
    try:
        recorded = json.loads(info.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if not isinstance(recorded, dict) or recorded.get("source_hash") != key:
        return None
    try:
        return _result(instance, directory, key, cached=True)
    except ArtifactError:
        return None


@contextmanager
def _locked(build_dir: Path, name: str) -> Iterator[None]:
    build_dir.mkdir(parents=True, exist_ok=True)
    with (build_dir / f".{name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run_circom(instance: CircuitInstance, work: Path) -> None:
    main = work / f"{instance.name}.circom"
    main.write_text(instance.main_source())
    rel_work = work.relative_to(REPO_ROOT).as_posix()
    command = [str(node_bin("circom2")), f"{rel_work}/{main.name}", *FLAGS, "-o", rel_work]
    for directory in INCLUDE_DIRS:
        command += ["-l", directory.relative_to(REPO_ROOT).as_posix() or "."]
    proc = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or "Everything went okay" not in proc.stdout:
        output = (proc.stdout + proc.stderr)[-2000:]
        raise ArtifactError(f"circom2 failed on {instance.name}:\n{output}", field=instance.name)


def compile_circuit(
    name: str, build_dir: Path = CIRCUITS_BUILD_DIR, *, force: bool = False
) -> CompiledCircuit:
    """Compile instance `name` into `build_dir/<name>/`, or return the cached build."""
    instance = get_instance(name, source_instances_file())
    if not build_dir.resolve().is_relative_to(REPO_ROOT):
        raise ArtifactError(
            f"build_dir must be inside the repository (circom2's sandbox): {build_dir}",
            field="build_dir",
        )
    build_dir = build_dir.resolve()
    target = build_dir / name
    key = source_hash(instance)
    with _locked(build_dir, name):
        if not force:
            hit = _cached(instance, target, key)
            if hit is not None:
                return hit
        for stale in (*build_dir.glob(f".tmp-{name}-*"), *build_dir.glob(f".old-{name}-*")):
            shutil.rmtree(stale, ignore_errors=True)  # left by a crash; we hold the lock
        work = Path(tempfile.mkdtemp(prefix=f".tmp-{name}-", dir=build_dir))
        try:
            _run_circom(instance, work)
            built = _result(instance, work, key, cached=False)
            info = {
                "name": name,
                "source_hash": key,
                "circom2": compiler_version(),
                "flags": list(FLAGS),
                "n_constraints": built.n_constraints,
            }
            (work / BUILD_INFO).write_text(json.dumps(info, indent=2) + "\n")
            if target.exists():
                old = Path(tempfile.mkdtemp(prefix=f".old-{name}-", dir=build_dir))
                target.rename(old / name)
                shutil.rmtree(old, ignore_errors=True)
            work.rename(target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return _result(instance, target, key, cached=False)
