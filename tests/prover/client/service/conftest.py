"""A real provider for the payer and proxy tests: Anvil, the real deployment (real verifiers and
keys of the circuit build), the real gateway app (`create_app`) over the real event mirror, the
embedded OpenAI-compatible upstream, the real nullifier store and penalty policy; and a user
wallet with deposited notes inside an accepted checkpoint.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from web3 import Web3
from zkcredits_testing.devchain import DevChain
from zkcredits_testing.devkeys import anvil_account
from zkcredits_testing.devprovider import deploy_dev_provider

from prover.chain.deploy.deployment_file import Deployment
from prover.chain.mirror import Finality, VaultMirror
from prover.circuits.prover import CircuitKeys
from prover.client.discovery import connect_chain, deposit_note, discover
from prover.client.payer.payer import Payer
from prover.client.payer.ready_proofs import ProofKeeper
from prover.client.payer.request_prover import NoteProver, ThreadProver
from prover.client.profile import ProviderPin
from prover.client.transport.delay import DelayBounds, PreSendDelay
from prover.client.transport.private import AsyncPrivateTransport
from prover.client.tree_view import MirrorTreeView
from prover.client.wallet import KdfParams, Note, Wallet
from prover.crypto import generate_secret_key
from prover.gateway.app import GatewaySettings, create_app
from prover.gateway.chain.view import MirrorChainView
from prover.gateway.embedded import create_embedded_upstream
from prover.gateway.policy import RulePolicy
from prover.gateway.store import open_store
from prover.gateway.upstream.http import HttpUpstream
from prover.plumbing.server import ThreadedServer
from prover.toolchain.anvil import AnvilProcess

FAST_KDF = KdfParams(log2_n=10, r=8, p=1)
PASSPHRASE = "payer test passphrase"


@dataclass
class World:
    w3: Web3
    deployment: Deployment
    pin: ProviderPin
    server_sk: int
    gateway_url: str
    root: Path
    keys: CircuitKeys
    gateway_mirror: VaultMirror
    prover: NoteProver

    def sync_gateway(self) -> None:
        self.gateway_mirror.sync()

    def new_wallet(self, name: str, deposits: list[int]) -> tuple[Wallet, list[Note]]:
        """A wallet with fresh notes deposited from dev account 5, then a new checkpoint."""
        wallet = Wallet.create(self.root / f"{name}.zkw", PASSPHRASE, kdf=FAST_KDF)
        notes = [deposit_note(self.w3, anvil_account(5), self.pin, wallet, d) for d in deposits]
        self.checkpoint()
        return wallet, notes

    def checkpoint(self) -> None:
        """Move chain time past the next root-epoch boundary and let both mirrors see it."""
        DevChain(self.w3).advance(self.pin.root_epoch)
        self.sync_gateway()

    def payer(
        self,
        wallet: Wallet,
        name: str,
        *,
        retries: int = 2,
        ready: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> Payer:
        """A payer over the session's prover (one proof at a time, in a thread); `ready` keeps
        proofs ready ahead of time (start it with `payer.start()` on the loop that calls)."""
        mirror = VaultMirror(
            self.w3,
            self.pin.service.vault_address,
            self.root / f"{name}-client-mirror.sqlite",
            finality=Finality.after(0),
        )
        keeper = ProofKeeper(
            wallet,
            MirrorTreeView(mirror, clock=clock),
            ThreadProver(self.prover),
            self.pin.service.service_id,
            enabled=ready,
            refresh_s=0.2,
            clock=clock,
        )
        return Payer(
            wallet=wallet,
            pin=self.pin,
            proofs=keeper,
            transport=AsyncPrivateTransport(),
            delay=PreSendDelay(DelayBounds(min_s=0.0, max_s=0.05)),
            clock=clock,
            retries=retries,
            retry_wait_s=0.2,
        )


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("payer-world")
    gateway = ThreadedServer()  # bound now: its URL goes into the deployment
    with AnvilProcess() as chain, ThreadedServer(create_embedded_upstream()) as upstream_url:
        sk = generate_secret_key()
        deployment = deploy_dev_provider(chain.rpc_url, sk, gateway.url, root / "deployments")
        w3 = connect_chain(chain.rpc_url)
        pin = discover(w3, deployment.registries.identity, deployment.agent.agent_id)
        mirror = VaultMirror(
            Web3(Web3.HTTPProvider(chain.rpc_url)),
            deployment.vault,
            root / "gateway-mirror.sqlite",
            finality=Finality.after(0),
        )
        mirror.sync()
        keys = CircuitKeys.load("request")
        p = deployment.params
        settings = GatewaySettings(
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
        app = create_app(
            settings,
            chain=MirrorChainView(mirror, max_staleness=3600),
            upstream=HttpUpstream(upstream_url),
            policy=RulePolicy.from_config(None, penalty_max=p.penalty_max),
            store=open_store(str(root / "nullifiers.sqlite")),
            keys=keys,
            server_secret=sk,
        )
        gateway.start(app)

        prover = NoteProver(keys, max_depth=pin.max_depth)
        try:
            yield World(w3, deployment, pin, sk, gateway.url, root, keys, mirror, prover)
        finally:
            prover.close()
            gateway.stop()
            mirror.close()
