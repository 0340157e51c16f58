"""A chain outage on the real chain side: when the RPC dies, `/healthz` turns `syncing` and names
the error, and every call is refused at once with `chain_unavailable` — nothing waits on the
dead RPC; when a chain answers again, the same view recovers."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web3 import Web3
from zkcredits_testing.devkeys import anvil_account

from prover.chain.mirror import Finality
from prover.chain.vault import CreditVaultClient
from prover.circuits.prover import CircuitKeys
from prover.gateway.app import GatewaySettings, create_app
from prover.gateway.app.wiring import build_policy
from prover.gateway.chain import open_gateway_chain
from prover.gateway.store import SqliteNullifierStore
from prover.gateway.upstream import HttpUpstream
from prover.toolchain.anvil import AnvilProcess

pytestmark = pytest.mark.slow


def _until(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_a_dead_rpc_makes_every_call_fail_fast_with_chain_unavailable(
    circuits_built: object,
    deployment: object,
    server_secret: int,
    tmp_path: Path,
) -> None:
    anvil = AnvilProcess()
    info = anvil.start()
    try:
        w3 = Web3(Web3.HTTPProvider(info.rpc_url, request_kwargs={"timeout": 2}))
        standalone: Callable[[Web3], CreditVaultClient] = sys.modules[
            "zkc_chain_fixtures"
        ].standalone_vault
        vault = standalone(w3)
        params = vault.params()
        store = SqliteNullifierStore(tmp_path / "store.sqlite")
        chain = open_gateway_chain(
            w3, vault.address, store, anvil_account(6), tmp_path / "chain",
            finality=Finality.after(0), poll_interval=0.2, max_staleness=5.0,
        )  # fmt: skip
        settings = GatewaySettings(
            chain_id=31337, vault=vault.address, unit=params.unit, c_max=params.c_max,
            reserve=params.reserve, penalty_max=params.penalty_max,
            price_schedule=deployment.price_schedule,  # type: ignore[attr-defined]
            vk_hashes=deployment.vk_hashes,  # type: ignore[attr-defined]
            root_epoch=params.root_epoch, root_ttl=params.root_ttl,
        )  # fmt: skip
        app = create_app(
            settings, chain=chain.view, upstream=HttpUpstream("http://127.0.0.1:9"),
            policy=build_policy(settings), store=store, keys=CircuitKeys.load("request"),
            server_secret=server_secret, chain_health=chain.health,
        )  # fmt: skip
        with TestClient(app, raise_server_exceptions=False) as client:
            _until(lambda: client.get("/healthz").status_code == 200, "never synced")
            ok = client.get("/healthz").json()["chain"]
            assert ok["synced"] and ok["finality_lag_blocks"] == 0 and ok["error"] is None
            anvil.stop()  # the RPC is gone
            _until(lambda: client.get("/healthz").status_code == 503, "never noticed")
            chain_state = client.get("/healthz").json()
            assert chain_state["status"] == "syncing" and chain_state["chain"]["synced"] is False
            started = time.monotonic()
            refused = client.post(
                "/v1/embeddings", content=b"{}", headers={"PAYMENT-SIGNATURE": "x"}
            )
            took = time.monotonic() - started
            assert refused.status_code == 503 and "Retry-After" in refused.headers
            assert refused.json()["error"]["code"] == "chain_unavailable"
            assert took < 5  # answered from memory: no RPC on the request path
            _until(lambda: client.get("/healthz").json()["chain"]["error"] is not None, "error")
        chain.close()
        store.close()
    finally:
        anvil.stop()
