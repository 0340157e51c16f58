"""scripts/setup.sh names what it could not fetch and never leaves a half install marked done."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from prover.toolchain.paths import REPO_ROOT

INPUTS = ["package.json", "package-lock.json", "requirements.lock", "pyproject.toml"]


def _copy_setup_inputs(target: Path) -> None:
    (target / "scripts").mkdir()
    for name in INPUTS:
        shutil.copy(REPO_ROOT / name, target / name)
    for name in ["setup.sh", "setup-system.sh", "solc-wrapper.cjs"]:
        shutil.copy(REPO_ROOT / "scripts" / name, target / "scripts" / name)


def _run_setup(workdir: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        # A registry nobody listens on, an empty cache, no retries: every fetch fails at once.
        "npm_config_registry": "http://127.0.0.1:9/",
        "npm_config_cache": str(workdir / ".npm-cache"),
        "npm_config_fetch_retries": "0",
    }
    return subprocess.run(
        ["bash", "scripts/setup.sh"], cwd=workdir, env=env, capture_output=True, text=True
    )


def test_an_unreachable_registry_names_the_package_and_exits_non_zero(tmp_path: Path) -> None:
    _copy_setup_inputs(tmp_path)
    first = _run_setup(tmp_path)

    assert first.returncode != 0
    assert "npm failed: package " in first.stderr
    assert "could not be fetched (code ECONNREFUSED)" in first.stderr
    assert not (tmp_path / ".venv" / ".zkcredits-setup").exists()
    assert not (tmp_path / "node_modules").exists()

    second = _run_setup(tmp_path)
    assert second.returncode != 0
    assert "up to date" not in second.stdout


def test_a_second_run_with_nothing_changed_is_a_no_op() -> None:
    out = subprocess.run(
        ["bash", "scripts/setup.sh"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert "up to date" in out.stdout
