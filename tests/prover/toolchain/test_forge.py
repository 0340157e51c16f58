"""forge (from npm) compiles offline with the solc wrapper."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from prover.toolchain.paths import foundry_binary, solc_binary

FIXTURES = Path(__file__).parent / "fixtures"


def test_forge_builds_offline_with_the_solc_wrapper(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    shutil.copy(FIXTURES / "Counter.sol", tmp_path / "src" / "Counter.sol")
    (tmp_path / "foundry.toml").write_text(
        f'[profile.default]\nsrc = "src"\nout = "out"\nsolc = "{solc_binary()}"\noffline = true\n'
    )
    out = subprocess.run(
        [foundry_binary("forge"), "build"], cwd=tmp_path, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Solc 0.8.37" in out.stdout
    artifact = json.loads((tmp_path / "out" / "Counter.sol" / "Counter.json").read_text())
    assert {item.get("name") for item in artifact["abi"]} >= {"count", "increment"}
    assert len(artifact["bytecode"]["object"]) > 100
