"""ape (with ape-solidity and ape-foundry) compiles through the solc wrapper and tests on Anvil."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from prover.toolchain.paths import REPO_ROOT, tool_environment

FIXTURES = Path(__file__).parent / "fixtures"
APE = REPO_ROOT / ".venv" / "bin" / "ape"

APE_TEST = """
def test_counter_counts(accounts, project):
    counter = accounts[0].deploy(project.Counter)
    counter.increment(5, sender=accounts[0])
    assert counter.count() == 5
"""


@pytest.mark.slow
def test_ape_compiles_with_the_wrapper_and_runs_a_test_on_anvil(tmp_path: Path) -> None:
    (tmp_path / "contracts").mkdir()
    (tmp_path / "tests").mkdir()
    shutil.copy(FIXTURES / "Counter.sol", tmp_path / "contracts" / "Counter.sol")
    # The repository's own ape configuration, minus its npm dependencies and their remappings.
    config = yaml.safe_load((REPO_ROOT / "ape-config.yaml").read_text())
    del config["dependencies"]
    del config["solidity"]["import_remapping"]
    (tmp_path / "ape-config.yaml").write_text(yaml.safe_dump(config))
    (tmp_path / "tests" / "test_counter.py").write_text(APE_TEST)
    env = tool_environment()

    compiled = subprocess.run(
        [APE, "compile", "--force"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    assert "Compiling using Solidity compiler '0.8.37" in compiled.stdout + compiled.stderr

    tested = subprocess.run(
        [APE, "test", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "1 passed" in tested.stdout
