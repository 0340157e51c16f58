"""Shared fixtures: a real Anvil chain started from the npm binary and stopped by PID, and the
repository's circuit build (keys, wasm, r1cs, verifiers) for tests that read it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web3 import Web3

from prover.circuits.build import BuildDirs, CircuitBuild, build_all
from prover.toolchain.anvil import AnvilProcess, ChainInfo


@pytest.fixture(scope="session")
def circuits_built() -> list[CircuitBuild]:
    """`zkcredits circuits build` for the three circuits into build/ (cached by source and r1cs
    hash: a no-op when up to date, minutes on a fresh clone). A test that reads build/keys or
    build/circuits asks for this fixture, never for whatever an earlier test happened to build.
    (tests/prover/chain/conftest.py defines the same fixture for the files that load it.)"""
    return build_all(["request", "withdraw", "slash"], BuildDirs())


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
