"""Shared fixtures: a real Anvil chain started from the npm binary and stopped by PID, the
repository's circuit build (keys, wasm, r1cs, verifiers) for tests that read it, and the
ceremony end-to-end test's keys made in the background from the start of the session."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from web3 import Web3

from prover.circuits.build import BuildDirs, CircuitBuild, build_all
from prover.toolchain.anvil import AnvilProcess, ChainInfo
from prover.toolchain.artifact_build import build_artifacts
from prover.toolchain.paths import REPO_ROOT

CEREMONY_TEST = "test_ceremony_keys_e2e.py"
CEREMONY_KEYS = Path(__file__).parent / "prover" / "client" / "service" / "ceremony_keys.py"
_background: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The ceremony test runs last: its keys, made in the background, get the whole suite's
    time (a test waiting for them in the middle would hold up every test after it)."""
    items.sort(key=lambda item: item.path.name == CEREMONY_TEST)  # stable: order otherwise kept


def pytest_collection_finish(session: pytest.Session) -> None:
    """A session that will run the ceremony test starts its keys now (ceremony_keys.py: seconds
    when this machine has them cached, else 20-50 min of snarkjs). It ends with the session, or
    with pytest's process if that is killed (the kernel sends it SIGTERM on its parent's death)."""
    if session.config.option.collectonly or "ceremony" in _background:
        return
    if not any(item.path.name == CEREMONY_TEST for item in session.items):
        return
    log = Path(tempfile.mkstemp(prefix="zkc-ceremony-keys-", suffix=".log")[1])
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, str(CEREMONY_KEYS)],
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "ZKC_PARENT_PID": str(os.getpid())},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    _background["ceremony"] = (proc, log)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop the background ceremony if the session ends first (by PID)."""
    started = _background.pop("ceremony", None)
    if started is None:
        return
    proc, log = started
    if proc.poll() is not None:
        if proc.returncode == 0:
            log.unlink(missing_ok=True)
        return
    proc.terminate()  # it stops its snarkjs step and removes its work directories
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def ceremony_keys_made() -> None:
    """Waits for the background ceremony, if this session started one. Whatever it left undone
    (it failed, or was not started) the test then does itself, in the foreground: its error is
    the test's."""
    started = _background.get("ceremony")
    if started is not None:
        proc, log = started
        if proc.wait() != 0:
            sys.stderr.write(f"background ceremony failed:\n{log.read_text()[-3000:]}\n")


@pytest.fixture(scope="session")
def circuits_built() -> list[CircuitBuild]:
    """`zkcredits circuits build` for the three circuits into build/ (cached by source and r1cs
    hash: a no-op when up to date, minutes on a fresh clone). A test that reads build/keys or
    build/circuits asks for this fixture, never for whatever an earlier test happened to build.
    (tests/prover/chain/conftest.py defines the same fixture for the files that load it.)
    The package's artifacts are rebuilt after it (dev verifiers, wasm, vks: a no-op if current)."""
    built = build_all(["request", "withdraw", "slash"], BuildDirs())
    build_artifacts()
    return built


@pytest.fixture(scope="session", autouse=True)
def packaged_artifacts() -> None:
    """The package data every runtime path loads (`prover.artifacts`), current with the checkout's
    sources: `scripts/build_artifacts.py`'s step, a no-op when its input hashes are unchanged."""
    build_artifacts()


@pytest.fixture(scope="session")
def anvil() -> Iterator[ChainInfo]:
    """One Anvil for the test session (tests that need a pristine chain use `fresh_anvil`)."""
    with AnvilProcess() as info:
        yield info


@pytest.fixture
def fresh_anvil() -> Iterator[ChainInfo]:
    """A new Anvil for one test, stopped by PID when the test ends."""
    with AnvilProcess() as info:
        yield info


@pytest.fixture(scope="session")
def w3(anvil: ChainInfo) -> Web3:
    """web3 connected to the session chain; accounts are Anvil's funded dev accounts."""
    web3 = Web3(Web3.HTTPProvider(anvil.rpc_url, request_kwargs={"timeout": 60}))
    assert web3.is_connected()
    return web3
