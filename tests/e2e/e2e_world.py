"""The real stack for the one-time-key tests: Anvil, the deployment, a gateway (real app, real
store, real chain view, real Groth16 verifier counted and optionally held), the embedded upstream,
the prover service (the proxy with its proof pool and ready proofs) and the official openai
client; one clock shared by everything that reads the time, so a test can move it (and the
chain's) across a UTC midnight.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import openai
from web3 import Web3
from zkcredits_testing.devchain import DevChain
from zkcredits_testing.devkeys import anvil_account

from prover.chain.deploy.deployment_file import Deployment
from prover.chain.mirror import Finality, VaultMirror
from prover.circuits.prover import CircuitKeys
from prover.client.discovery import deposit_note
from prover.client.payer.payer import Payer
from prover.client.payer.proof_pool import PoolProver
from prover.client.payer.ready_proofs import ProofKeeper
from prover.client.profile import ProviderPin, new_token
from prover.client.service.run import server
from prover.client.transport.config import TransportSettings
from prover.client.transport.delay import DelayBounds, PreSendDelay
from prover.client.transport.private import AsyncPrivateTransport
from prover.client.tree_view import MirrorTreeView
from prover.client.wallet import KdfParams, Note, Wallet
from prover.gateway.app import GatewaySettings
from prover.gateway.app.verify import verifier_from_keys
from prover.gateway.store import NullifierStore
from prover.plumbing.server import ThreadedServer

FAST_KDF = KdfParams(log2_n=10, r=8, p=1)
PASSPHRASE = "e2e one-time keys"
DAY = 86_400


class SharedClock:
    """Wall time plus an offset the test sets, or a frozen instant."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.frozen: float | None = None

    def __call__(self) -> float:
        return self.frozen if self.frozen is not None else time.time() + self.offset


@dataclass
class CountingVerifier:
    """The real Groth16 verifier of the request keys; counts calls; `hold` blocks a call until
    `release` is set, then refuses it (a gateway stuck before reservation, then failing)."""

    keys: CircuitKeys
    calls: int = 0
    hold: bool = False
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)

    def __call__(self, proof: bytes, signals: Sequence[int]) -> bool:
        self.calls += 1
        if self.hold:
            self.held.set()
            self.release.wait(120)
            self.done.set()
            return False
        return verifier_from_keys(self.keys)(proof, signals)


def _wait(ready: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not start within {timeout:.0f} s")
        time.sleep(0.02)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class World:
    w3: Web3
    rpc_url: str
    deployment: Deployment
    pin: ProviderPin
    settings: GatewaySettings
    server_sk: int
    upstream_url: str
    gateway: ThreadedServer
    gateway_mirror: VaultMirror
    store: NullifierStore
    verifier: CountingVerifier
    clock: SharedClock
    pool: PoolProver
    root: Path
    upstream_received: Callable[[], int]

    @property
    def chain(self) -> DevChain:
        return DevChain(self.w3)

    def follow_chain(self) -> None:
        """Keep the shared clock on the chain's time (Anvil time may be ahead of the wall)."""
        self.clock.frozen = None
        self.clock.offset = self.chain.timestamp() - time.time()

    def settle(self) -> None:
        """Let the gateway's chain view see every final block."""
        self.gateway_mirror.sync()

    def checkpoint(self) -> None:
        """Past the next root-epoch boundary; both views follow."""
        self.chain.advance(self.pin.root_epoch)
        self.follow_chain()
        self.settle()

    def new_wallet(
        self, name: str, deposits: list[int], *, gateway_sees: bool = True
    ) -> tuple[Wallet, list[Note]]:
        """A wallet with fresh notes deposited from dev account 5, then a new checkpoint (which
        the gateway's view syncs to unless `gateway_sees` is false)."""
        wallet = Wallet.create(self.root / f"{name}.zkw", PASSPHRASE, kdf=FAST_KDF)
        notes = [deposit_note(self.w3, anvil_account(5), self.pin, wallet, d) for d in deposits]
        self.chain.advance(self.pin.root_epoch)
        self.follow_chain()
        if gateway_sees:
            self.settle()
        return wallet, notes

    def payer(
        self, wallet: Wallet, name: str, *, retries: int = 2, timeout_s: float = 120
    ) -> Payer:
        mirror = VaultMirror(
            self.w3,
            self.pin.service.vault_address,
            self.root / f"{name}-client-mirror.sqlite",
            finality=Finality.after(0),
        )
        keeper = ProofKeeper(
            wallet, MirrorTreeView(mirror, clock=self.clock), self.pool,
            self.pin.service.service_id, refresh_s=0.3, clock=self.clock,
        )  # fmt: skip
        settings = TransportSettings(request_timeout_s=timeout_s)
        return Payer(
            wallet=wallet,
            pin=self.pin,
            proofs=keeper,
            transport=AsyncPrivateTransport(settings),
            delay=PreSendDelay(DelayBounds(min_s=0.0, max_s=0.0)),
            clock=self.clock,
            retries=retries,
            retry_wait_s=0.3,
        )


@contextlib.contextmanager
def prover_service(payer: Payer) -> Iterator[openai.OpenAI]:
    """The prover service (`zkcredits client serve`'s code: the proxy, `payer.start()` first)
    on a free loopback port, and the official openai client pointed at it."""
    token, port = new_token(), free_port()
    srv = server(payer, host="127.0.0.1", port=port, token=token)

    async def serve() -> None:
        await payer.start()
        try:
            await srv.serve()
        finally:
            await payer.stop()

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    _wait(lambda: srv.started or not thread.is_alive(), "the prover service")
    assert thread.is_alive(), "the prover service stopped at start-up"
    client = openai.OpenAI(
        base_url=f"http://127.0.0.1:{port}/v1",
        api_key=token,
        http_client=httpx2.Client(trust_env=False, timeout=300),
        max_retries=0,
    )
    try:
        yield client
    finally:
        client.close()
        srv.should_exit = True
        thread.join(30)


class CountingApp:
    """ASGI wrapper counting the HTTP requests that reach the upstream."""

    def __init__(self, app: object) -> None:
        self.app = app
        self.count = 0

    async def __call__(self, scope: dict[str, object], receive: object, send: object) -> None:
        if scope.get("type") == "http":
            self.count += 1
        await self.app(scope, receive, send)  # type: ignore[operator]
