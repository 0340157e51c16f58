"""Where the repository keeps its installed tools and generated files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from prover.toolchain.checkout import in_checkout
from prover.toolchain.errors import ToolchainError

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The source checkout (build-time code only: runtime code reads `prover.artifacts`)."""
NODE_MODULES = REPO_ROOT / "node_modules"
BUILD_DIR = REPO_ROOT / "build" if in_checkout() else Path("build")
"""Circuit builds, keys, caches: the checkout's `build/`, or `build/` under the working
directory for an installed package (a provider's own key build)."""
SOLCX_DIR = REPO_ROOT / ".solcx"
SOLC_VERSION = "0.8.37"


def node_bin(name: str) -> Path:
    """An npm-installed command, e.g. `snarkjs` or `circom2`: the checkout's `node_modules/.bin`,
    else the first on PATH (an installed package has no checkout)."""
    path = NODE_MODULES / ".bin" / name
    if path.exists():
        return path
    found = shutil.which(name)
    if found is None:
        raise ToolchainError(
            f"{name} is not installed: run scripts/setup.sh in the checkout or put {name} on PATH",
            field=name,
        )
    return Path(found)


def foundry_binary(tool: str) -> Path:
    """The real `anvil`/`forge` binary shipped in the npm optional dependency.

    Spawning it directly (not the npm shim) means a kill by PID reaches the process itself.
    """
    matches = sorted((NODE_MODULES / "@foundry-rs").glob(f"{tool}-linux-*/bin/{tool}"))
    if not matches:
        raise ToolchainError(f"{tool} is not installed: run scripts/setup.sh")
    return matches[0]


def solc_binary() -> Path:
    """The solc wrapper over solcjs, installed by scripts/setup.sh."""
    path = SOLCX_DIR / f"solc-v{SOLC_VERSION}"
    if not path.exists():
        raise ToolchainError(f"the solc wrapper is not installed: run scripts/setup.sh ({path})")
    return path


def tool_environment() -> dict[str, str]:
    """Environment for child processes: repo tools first on PATH, solc found by ape/py-solc-x."""
    env = dict(os.environ)
    venv_bin = REPO_ROOT / ".venv" / "bin"
    env["PATH"] = os.pathsep.join([str(venv_bin), str(NODE_MODULES / ".bin"), env.get("PATH", "")])
    env["SOLCX_BINARY_PATH"] = str(SOLCX_DIR)
    return env
