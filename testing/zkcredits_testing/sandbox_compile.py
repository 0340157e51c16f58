"""Compile a self-contained .circom file (no includes) with circom2 --O2 in a scratch folder.

For test fixtures and benchmarks of stand-alone circuits; the project's circuits are compiled by
`prover.circuits.compiler` (the circuits engineer's module).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from prover.circuits.artifacts import CircuitArtifacts
from prover.circuits.errors import ArtifactError
from prover.toolchain.paths import node_bin


def compile_standalone(source: Path, work: Path) -> CircuitArtifacts:
    """circom2 runs in a WASI sandbox that sees only its working directory: copy, then compile."""
    name = source.stem
    work.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, work / source.name)
    proc = subprocess.run(
        [str(node_bin("circom2")), source.name, "--O2", "--r1cs", "--wasm", "-o", "."],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise ArtifactError(f"circom2 failed on {source.name}: {proc.stderr[-800:]}", field=name)
    return CircuitArtifacts.in_dir(name, work)
