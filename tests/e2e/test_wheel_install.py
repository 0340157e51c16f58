"""The package as a wheel: built from the checkout, installed into a fresh venv outside it, run
from a directory outside it: `zkcredits --help`, `client init` and one paid call against the test
stack (Anvil, the deployment and the gateway, started from the checkout by `running_stack`).

No network: the wheel is built with the checkout's pinned setuptools (`--no-build-isolation`),
installed `--no-deps`, and its dependencies come from the checkout venv's site-packages, added by
a `.pth` line to the fresh venv. A directory named by a `.pth` line has its own `.pth` files
ignored, so the checkout's editable install (`__editable__*.pth`) never activates: `prover` can
only come from the wheel. The CLI runs with PYTHONSAFEPATH and a cwd outside the checkout, and a
driver records every module it loaded from the checkout's source tree (there must be none).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from zkcredits_testing.demo.stack import Stack, running_stack
from zkcredits_testing.devkeys import anvil_account

from prover.gateway.embedded import CHAT_MODEL
from prover.toolchain.artifact_build import build_artifacts
from prover.toolchain.checkout import checkout_root

pytestmark = pytest.mark.slow
CHECKOUT = checkout_root("the wheel test")
PASS = "wheel passphrase"
DRIVER = """\
import json, os, sys
from pathlib import Path

checkout, report = Path(sys.argv[1]), Path(sys.argv[2])
venv = checkout / ".venv"
code = 0
try:
    from prover.cli.main import run
    sys.argv = ["zkcredits", *sys.argv[3:]]
    run()
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
finally:
    import prover
    from_source = sorted(
        name for name, module in list(sys.modules.items())
        if (f := getattr(module, "__file__", None))
        and Path(f).resolve().is_relative_to(checkout)
        and not Path(f).resolve().is_relative_to(venv)
    )
    report.write_text(json.dumps({
        "prover": prover.__file__,
        "from_source": from_source,
        "sys_path_in_checkout": [
            p for p in sys.path if p and Path(p).resolve().is_relative_to(checkout)
            and not Path(p).resolve().is_relative_to(venv)
        ],
    }))
sys.exit(code)
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv outside the checkout with the wheel installed; returns its python."""
    build_artifacts()
    root = tmp_path_factory.mktemp("wheel")
    src = root / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(CHECKOUT / name, src / name)
    shutil.copytree(
        CHECKOUT / "prover", src / "prover",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".artifacts-*"),
    )  # fmt: skip
    dist = root / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "-q", "-w", str(dist), str(src)],
        check=True, cwd=root,
    )  # fmt: skip
    [wheel] = list(dist.glob("zkcredits-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    for packaged in (
        "prover/artifacts/data/contracts.json",
        "prover/artifacts/data/verifiers.json",
        "prover/artifacts/data/instances.json",
        "prover/artifacts/data/circuits/request/request_js/request.wasm",
        "prover/artifacts/data/keys/withdraw/verification_key.json",
        "prover/circuits/js/witness_server.cjs",
    ):
        assert packaged in names, f"the wheel lacks {packaged}"
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "--disable-pip-version-check", "-q", str(wheel)],
        check=True, cwd=root,
    )  # fmt: skip
    deps = sysconfig.get_paths()["purelib"]  # the checkout venv's (this interpreter's)
    (_site_packages(python) / "zz_checkout_deps.pth").write_text(deps + "\n")
    return python


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "ZKCREDITS_"))}
    env.update(PYTHONSAFEPATH="1", HOME=str(home), XDG_DATA_HOME=str(home / "data"),
               XDG_CACHE_HOME=str(home / "cache"), **extra)  # fmt: skip
    return env


def _zkcredits(python: Path, cwd: Path, env: dict[str, str], *args: str) -> tuple[str, Any]:
    """Run the installed CLI through the driver; returns its stdout and the driver's report."""
    report = cwd / "report.json"
    driver = cwd / "driver.py"
    driver.write_text(DRIVER)
    proc = subprocess.run(
        [str(python), str(driver), str(CHECKOUT), str(report), *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, f"zkcredits {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout, json.loads(report.read_text())


def _assert_outside(report: Any, venv_python: Path) -> None:
    assert Path(report["prover"]).resolve().is_relative_to(venv_python.parent.parent)
    assert report["from_source"] == []
    assert report["sys_path_in_checkout"] == []


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("wheel-stack")) as running:
        yield running


def _site_packages(python: Path) -> Path:
    proc = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return Path(proc.stdout.strip())


def test_the_installed_package_has_no_path_into_the_checkout(installed: Path) -> None:
    site = _site_packages(installed)
    needle = str(CHECKOUT).encode()
    offenders = [
        str(p) for p in (site / "prover").rglob("*") if p.is_file() and needle in p.read_bytes()
    ]
    assert offenders == []


def test_help_runs_from_outside_the_checkout(installed: Path, tmp_path: Path) -> None:
    out, report = _zkcredits(installed, tmp_path, _env(tmp_path), "--help")
    assert "client" in out and "gateway" in out
    _assert_outside(report, installed)


def test_outside_the_checkout_build_steps_fail_with_a_named_error(
    installed: Path, tmp_path: Path
) -> None:
    probe = (
        "from prover.toolchain.errors import CheckoutRequiredError\n"
        "from prover.chain.artifacts import compile_vault_artifacts, vault_artifacts\n"
        "assert 'EthCreditVault' in vault_artifacts()\n"
        "try:\n"
        "    compile_vault_artifacts()\n"
        "except CheckoutRequiredError as exc:\n"
        "    print('refused:', exc.field)\n"
    )
    proc = subprocess.run(
        [str(installed), "-c", probe], cwd=tmp_path, env=_env(tmp_path),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "refused: checkout"


def test_init_and_a_paid_call_through_the_installed_package(
    installed: Path, stack: Stack, tmp_path: Path
) -> None:
    key = tmp_path / "key.hex"
    key.write_text(anvil_account(8).key.hex())
    key.chmod(0o600)
    env = _env(
        tmp_path,
        ZKCREDITS_WALLET_PASSPHRASE=PASS,
        ZKCREDITS_WALLET=str(tmp_path / "wallet.zkw"),
        ZKCREDITS_CONFIRMATIONS="0",
        ZKCREDITS_SEND_DELAY_MAX_S="0.05",
    )
    out, report = _zkcredits(
        installed, tmp_path, env, "client", "init", "--rpc-url", stack.rpc_url,
        "--identity-registry", stack.deployment.registries.identity,
        "--agent-id", str(stack.deployment.agent.agent_id), "--kdf-log2-n", "10", "--json",
    )  # fmt: skip
    _assert_outside(report, installed)
    assert json.loads(out.strip().splitlines()[-1])["service_id"] == str(
        stack.pin.service.service_id
    )
    out, _ = _zkcredits(
        installed, tmp_path, env, "client", "deposit", "--amount", "20000",
        "--key-file", str(key), "--json",
    )  # fmt: skip
    note = json.loads(out.strip().splitlines()[-1])["note"]
    stack.make_final(leaf_count=1)
    body = json.dumps({"model": CHAT_MODEL, "messages": [{"role": "user", "content": "wheel"}],
                       "max_tokens": 8})  # fmt: skip
    out, report = _zkcredits(
        installed, tmp_path, env, "client", "call", "/v1/chat/completions", "--data", body,
        "--json",
    )  # fmt: skip
    _assert_outside(report, installed)
    called = json.loads(out.strip().splitlines()[-1])
    assert called["status"] == 200 and called["note"] == note
    assert called["body"]["choices"][0]["message"]["content"]
    cost = int(called["cost"])
    assert cost > 0
    out, _ = _zkcredits(installed, tmp_path, env, "client", "balance", "--json")
    [row] = [r for r in json.loads(out.strip().splitlines()[-1])["notes"] if r["note"] == note]
    assert row["tickets"] == 1 and row["C"] == cost
