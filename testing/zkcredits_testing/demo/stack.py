"""The provider's side of the story: circuits, Anvil, the deployment, the gateway with its chain
side (mirror, withdrawal watcher, slasher) and the embedded upstream — all stopped on exit."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from web3 import Web3

from prover.chain.deploy.deployment_file import Deployment
from prover.chain.mirror import Finality
from prover.circuits.build import BuildDirs, build_all
from prover.circuits.prover import CircuitKeys
from prover.client.discovery import connect_chain, discover
from prover.client.profile import ProviderPin
from prover.crypto import generate_secret_key
from prover.gateway.app import GatewaySettings, create_app
from prover.gateway.app.key_route import PublishedKeys
from prover.gateway.app.wiring import build_policy
from prover.gateway.chain.components import GatewayChain, open_gateway_chain
from prover.gateway.embedded import create_embedded_upstream
from prover.gateway.policy.log import PenaltyLog
from prover.gateway.store import open_store
from prover.gateway.upstream.http import HttpUpstream
from prover.plumbing.errors import ServerStartError
from prover.plumbing.server import ThreadedServer
from prover.toolchain.anvil import AnvilProcess
from zkcredits_testing.demo.config import DEMO_SCHEDULE
from zkcredits_testing.demo.errors import DemoError
from zkcredits_testing.devchain import DevChain
from zkcredits_testing.devkeys import anvil_account
from zkcredits_testing.devprovider import deploy_dev_provider

CIRCUITS = ("request", "withdraw", "slash")
CONFIRMATIONS = 2
"""Finality depth of every mirror in the story: a block is final under 2 newer ones."""
SLASHER_ACCOUNT = 6
TREASURY_ACCOUNT = 1  # `dev_config`'s treasury

Progress = Callable[[str], None]


@dataclass
class Stack:
    """Everything running for the provider, with handles the story needs."""

    root: Path
    rpc_url: str
    anvil_pid: int
    w3: Web3
    deployment: Deployment
    pin: ProviderPin
    gateway_url: str
    gateway_chain: GatewayChain
    request_keys: CircuitKeys
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def dev(self) -> DevChain:
        return DevChain(self.w3)

    def treasury(self) -> str:
        return str(anvil_account(TREASURY_ACCOUNT).address)

    def make_final(self, leaf_count: int, timeout: float = 60.0) -> None:
        """Cross the next root-epoch boundary (the next deposit or the mirror records the
        checkpoint), mine `CONFIRMATIONS` blocks, and wait until the gateway's mirror accepts
        a checkpoint holding `leaf_count` leaves."""
        self.dev.advance(self.pin.root_epoch)
        for _ in range(CONFIRMATIONS + 1):
            self.dev.advance(1)
        mirror = self.gateway_chain.mirror
        deadline = time.monotonic() + timeout
        while True:
            newest = mirror.newest_checkpoint()
            if newest is not None and newest.size >= leaf_count:
                return
            if time.monotonic() > deadline:
                raise DemoError(f"the gateway's mirror did not reach {leaf_count} final leaves")
            time.sleep(0.1)


def _settings(deployment: Deployment) -> GatewaySettings:
    p = deployment.params
    return GatewaySettings(
        chain_id=deployment.chain_id,
        vault=deployment.vault,
        unit=int(p.unit),
        c_max=p.c_max,
        reserve=p.reserve,
        penalty_max=p.penalty_max,
        price_schedule=deployment.price_schedule,
        vk_hashes=deployment.vk_hashes,
        root_epoch=int(p.root_epoch),
        root_ttl=int(p.root_ttl),
    )


@contextmanager
def running_stack(root: Path, progress: Progress = lambda _m: None) -> Iterator[Stack]:
    """Start everything under `root`; every part is stopped on exit, also on error."""
    timings: dict[str, float] = {}
    with ExitStack() as stack:
        t0 = time.monotonic()
        progress("building circuits (dev setup, cached by r1cs hash)")
        build_all(list(CIRCUITS), BuildDirs(), progress=progress)
        timings["build circuits"] = time.monotonic() - t0

        t0 = time.monotonic()
        progress("starting Anvil")
        chain = stack.enter_context(AnvilProcess(log_path=root / "anvil.log"))
        upstream_url = stack.enter_context(ThreadedServer(create_embedded_upstream()))
        gateway = ThreadedServer()  # bound now: its URL goes into the deployment
        stack.callback(gateway.stop)
        timings["start Anvil + upstream"] = time.monotonic() - t0

        t0 = time.monotonic()
        progress("deploying verifiers, vault, ERC-8004 registries; registering the agent")
        server_sk = generate_secret_key()
        deployment = deploy_dev_provider(
            chain.rpc_url, server_sk, gateway.url, root / "deploy",
            price_schedule=DEMO_SCHEDULE, agent_name="zkcredits demo provider",
        )  # fmt: skip
        timings["deploy"] = time.monotonic() - t0

        t0 = time.monotonic()
        progress("starting the gateway (chain sync, watcher, slasher)")
        w3 = connect_chain(chain.rpc_url)
        pin = discover(w3, deployment.registries.identity, deployment.agent.agent_id)
        store = open_store(str(root / "nullifiers.sqlite"))
        stack.callback(store.close)
        (root / "gateway-chain").mkdir(exist_ok=True)
        gw_chain = open_gateway_chain(
            Web3(Web3.HTTPProvider(chain.rpc_url, request_kwargs={"timeout": 30})),
            deployment.vault,
            store,
            anvil_account(SLASHER_ACCOUNT),
            root / "gateway-chain",
            finality=Finality.after(CONFIRMATIONS),
            poll_interval=0.5,
            max_staleness=3600.0,
        )
        stack.callback(gw_chain.close)
        settings = _settings(deployment)
        penalty_log = PenaltyLog(root / "penalties.db", server_sk)
        request_keys = CircuitKeys.load("request")  # loaded once: gateway, agent and cheater
        app = create_app(
            settings,
            chain=gw_chain.view,
            upstream=HttpUpstream(upstream_url),
            policy=build_policy(settings, penalty_log),
            store=store,
            keys=request_keys,
            server_secret=server_sk,
            double_spend_sink=gw_chain.slasher,
            penalty_log=penalty_log,
            # the files the registration lists, as `gateway serve` publishes them: a client
            # without the checkout's build fetches its keys here (tests/e2e/test_wheel_install.py)
            published_keys=PublishedKeys.from_build(
                expected=None if deployment.keys is None else deployment.keys.files
            ),
        )
        stack.callback(gateway.stop)
        try:
            gateway.start(app)
        except ServerStartError as exc:
            raise DemoError(f"the gateway did not start: {exc}") from exc
        timings["start gateway"] = time.monotonic() - t0
        yield Stack(
            root=root,
            rpc_url=chain.rpc_url,
            anvil_pid=chain.pid,
            w3=w3,
            deployment=deployment,
            pin=pin,
            gateway_url=gateway.url,
            gateway_chain=gw_chain,
            request_keys=request_keys,
            timings=timings,
        )
