"""The real stack of the one-time-key tests (see `e2e_world`), started once per module and
stopped by handle and PID: Anvil, the deployment, the gateway, the embedded upstream, the proof
pool."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from web3 import Web3

sys.path.insert(0, str(Path(__file__).parent))

from e2e_world import CountingApp, CountingVerifier, SharedClock, World
from zkcredits_testing.devprovider import deploy_dev_provider

from prover.chain.mirror import Finality, VaultMirror
from prover.circuits.build import BuildDirs, build_all
from prover.circuits.prover import CircuitKeys
from prover.client.discovery import connect_chain, discover
from prover.client.payer.proof_pool import PoolProver
from prover.crypto import generate_secret_key
from prover.gateway.app import GatewaySettings, create_app
from prover.gateway.app.wiring import build_policy
from prover.gateway.chain.view import MirrorChainView
from prover.gateway.embedded import create_embedded_upstream
from prover.gateway.store import open_store
from prover.gateway.upstream.http import HttpUpstream
from prover.plumbing.server import ThreadedServer
from prover.toolchain.anvil import AnvilProcess


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("tickets-e2e")
    build_all(["request", "withdraw", "slash"], BuildDirs())
    keys = CircuitKeys.load("request")
    gateway = ThreadedServer()  # bound now: its URL goes into the deployment
    upstream = CountingApp(create_embedded_upstream())
    with AnvilProcess() as chain, ThreadedServer(upstream) as upstream_url:  # type: ignore[arg-type]
        sk = generate_secret_key()
        deployment = deploy_dev_provider(chain.rpc_url, sk, gateway.url, root / "deployments")
        w3 = connect_chain(chain.rpc_url)
        pin = discover(w3, deployment.registries.identity, deployment.agent.agent_id)
        mirror = VaultMirror(
            Web3(Web3.HTTPProvider(chain.rpc_url)), deployment.vault,
            root / "gateway-mirror.sqlite", finality=Finality.after(0),
        )  # fmt: skip
        mirror.sync()
        p = deployment.params
        settings = GatewaySettings(
            chain_id=deployment.chain_id, vault=deployment.vault, unit=int(p.unit),
            c_max=p.c_max, reserve=p.reserve, penalty_max=p.penalty_max,
            price_schedule=deployment.price_schedule, vk_hashes=deployment.vk_hashes,
            root_epoch=int(p.root_epoch), root_ttl=int(p.root_ttl),
        )  # fmt: skip
        clock = SharedClock()
        verifier = CountingVerifier(keys)
        store = open_store(str(root / "nullifiers.sqlite"))
        app = create_app(
            settings,
            chain=MirrorChainView(mirror, max_staleness=10**9),
            upstream=HttpUpstream(upstream_url),
            policy=build_policy(settings),
            store=store,
            keys=verifier,
            server_secret=sk,
            clock=clock,
        )
        gateway.start(app)
        pool = PoolProver.local(pin.vk_hashes.request, max_depth=pin.max_depth)
        pool.start()
        world = World(
            w3=w3, rpc_url=chain.rpc_url, deployment=deployment, pin=pin, settings=settings,
            server_sk=sk, upstream_url=upstream_url, gateway=gateway, gateway_mirror=mirror,
            store=store, verifier=verifier, clock=clock, pool=pool, root=root,
            upstream_received=lambda: upstream.count,
        )  # fmt: skip
        world.follow_chain()
        try:
            yield world
        finally:
            pool.close()
            gateway.stop()
            store.close()
            mirror.close()
