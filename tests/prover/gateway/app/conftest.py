"""Fixtures of the gateway app tests: the real request circuit's keys (built once, cached), a
handful of real paid requests made once per session, and an app on a fresh SQLite store."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from gateway_harness import CHAT, Gateway, Payments, chat_body, make_gateway
from gateway_world import make_paid

from prover.circuits.build import BuildDirs, build_circuit
from prover.circuits.compiler import compile_circuit
from prover.circuits.prover import CircuitKeys, Prover


@pytest.fixture(scope="session")
def request_keys(tmp_path_factory: pytest.TempPathFactory) -> CircuitKeys:
    """The real `request` circuit: compiled (cached by source hash), dev keys (cached by r1cs)."""
    compiled = compile_circuit("request")
    dirs = BuildDirs(generated=tmp_path_factory.mktemp("generated"))
    built = build_circuit(compiled.artifacts, dirs)
    return CircuitKeys.load_from(built.setup.directory, compiled.artifacts)


@pytest.fixture(scope="session")
def payments(request_keys: CircuitKeys) -> Payments:
    """Five real proofs (~1 s each), reused by every test on a fresh store."""
    with Prover(request_keys) as prover:
        return Payments(
            chat=make_paid(prover, 0, "POST", CHAT, chat_body("hello"), b"\x11" * 16),
            chat_other=make_paid(prover, 0, "POST", CHAT, chat_body("other"), b"\x12" * 16),
            data=make_paid(prover, 1, "GET", "/v1/data/item?q=1&r=%20x", b"", b"\x21" * 16),
            stream=make_paid(prover, 2, "POST", CHAT, chat_body("s", True), b"\x31" * 16),
            spare=make_paid(prover, 3, "POST", CHAT, chat_body("spare"), b"\x41" * 16),
        )


@pytest.fixture
def gateway(request_keys: CircuitKeys, tmp_path: Path) -> Iterator[Gateway]:
    with make_gateway(request_keys, tmp_path / "store.db") as gw:
        yield gw
