"""The honest agent: discovers the provider through ERC-8004, deposits a few notes, runs the
local prover service (the OpenAI-compatible proxy, with its proof pool) and makes paid calls with
the official `openai` client — chat, streamed chat and embeddings of varying cost.

First a few calls prove on their path (the reference), then the story's calls use proofs made
ahead of time (PROTOCOL v3 §8): before each of them the agent waits until every note's next proof
is ready (its think time; not part of the call's latency), so every one of them is a ready-proof
call made while no proof competes for the cores. The summary shows both latencies."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import openai
import uvicorn
from eth_account.signers.local import LocalAccount
from web3 import Web3

from prover.chain.mirror import Finality, VaultMirror
from prover.client.discovery import deposit_note, discover
from prover.client.payer.payer import Payer
from prover.client.payer.proof_pool import PoolProver
from prover.client.payer.ready_proofs import ProofKeeper
from prover.client.profile import ProviderPin, new_token
from prover.client.service.run import server
from prover.client.transport.delay import DelayBounds, PreSendDelay
from prover.client.transport.private import AsyncPrivateTransport
from prover.client.tree_view import MirrorTreeView
from prover.client.wallet import KdfParams, Note, Wallet
from prover.gateway.embedded import CHAT_MODEL, EMBED_MODEL
from zkcredits_testing.demo.errors import DemoError
from zkcredits_testing.demo.stack import CONFIRMATIONS, Stack
from zkcredits_testing.devkeys import anvil_account

PASSPHRASE = "zkcredits demo wallet"
DEMO_KDF = KdfParams(log2_n=12, r=8, p=1)  # a throwaway demo wallet; real wallets use 2^17
AGENT_ACCOUNT = 5
KINDS = ("chat", "chat", "stream", "embeddings", "chat")
ON_PATH_CALLS = 5
"""Reference calls proving on their path, made before the story's ready-proof calls."""
READY = "ready proof"
ON_PATH = "proof on path"


@dataclass
class CallRecord:
    kind: str
    cost: int  # charge + penalty of this call, read from the signed state the gateway returned
    seconds: float  # wall time of the whole paid call seen by the application
    mode: str = READY  # READY or ON_PATH


@dataclass
class Agent:
    """An agent's wallet, chain account and notes."""

    name: str
    account: LocalAccount
    wallet: Wallet
    pin: ProviderPin
    notes: list[Note]
    deposit_gas: list[int] = field(default_factory=list)
    calls: list[CallRecord] = field(default_factory=list)
    prove_seconds: list[float] = field(default_factory=list)
    think_seconds: float = 0.0  # waits for a ready proof before ready-proof calls

    def note_ids(self) -> list[int]:
        return [n.id for n in self.notes]

    def spent(self) -> tuple[int, int, int]:
        """(tickets, charges C, penalties P) summed over the agent's notes, from the wallet."""
        states = [self.wallet.note(i).state for i in self.note_ids()]
        return sum(s.n for s in states), sum(s.C for s in states), sum(s.P for s in states)

    def deposited(self) -> int:
        return sum(n.deposit.D for n in self.notes if n.deposit is not None)


def open_agent(
    stack: Stack, name: str, account_index: int, deposits: list[int], root: Path
) -> Agent:
    """Discover the provider by agent id (checked against its vault), create a wallet, deposit."""
    pin = discover(stack.w3, stack.deployment.registries.identity, stack.deployment.agent.agent_id)
    if pin.service.vault_address.lower() != stack.deployment.vault.lower():
        raise DemoError(f"discovery found vault {pin.service.vault_address}, not the deployed one")
    wallet = Wallet.create(root / f"{name}.zkw", PASSPHRASE, kdf=DEMO_KDF)
    account = anvil_account(account_index)
    notes = [deposit_note(stack.w3, account, pin, wallet, d) for d in deposits]
    gas = []
    for note in notes:
        assert note.deposit is not None
        receipt = stack.w3.eth.get_transaction_receipt(note.deposit.tx_hash)  # type: ignore[arg-type]
        gas.append(int(receipt["gasUsed"]))
    return Agent(name, account, wallet, pin, notes, deposit_gas=gas)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _request(i: int) -> tuple[str, dict[str, Any]]:
    """The i-th call: its kind and arguments; reply length (so cost) varies with the prompt."""
    kind = KINDS[i % len(KINDS)]
    words = 5 + (i * 37) % 240
    if kind == "embeddings":
        return kind, {"model": EMBED_MODEL, "input": " ".join(["token"] * (10 + (i * 53) % 900))}
    prompt = f"answer in {words} words about anonymous credits"
    return kind, {
        "model": CHAT_MODEL,
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": 256,
    }


def _one_call(client: openai.OpenAI, kind: str, args: dict[str, Any]) -> None:
    if kind == "embeddings":
        if not client.embeddings.create(**args).data:
            raise DemoError("an embeddings reply had no data")
    elif kind == "stream":
        text = "".join(
            chunk.choices[0].delta.content or ""
            for chunk in client.chat.completions.create(**args, stream=True)
            if chunk.choices
        )
        if not text:
            raise DemoError("a streamed chat reply was empty")
    else:
        done = client.chat.completions.create(**args)
        if not done.choices[0].message.content:
            raise DemoError("a chat reply was empty")


def _wait_tickets(agent: Agent, expected: int, timeout: float = 60.0) -> tuple[int, int, int]:
    """A streamed call's state is committed when its stream ends: wait for it."""
    deadline = time.monotonic() + timeout
    while True:
        spent = agent.spent()
        if spent[0] >= expected:
            return spent
        if time.monotonic() > deadline:
            raise DemoError(f"call {expected} was answered but its payment was not committed")
        time.sleep(0.02)


def _wait_ready(keeper: ProofKeeper, notes: int, timeout: float = 120.0) -> float:
    """Wait until every note's next proof is ready and none is being made (the agent calls at
    a pace its proofs keep up with); returns the wait (the agent's think time)."""
    t0 = time.monotonic()
    while len(keeper.ready_notes()) < notes or keeper.busy():
        if time.monotonic() - t0 > timeout:
            raise DemoError(f"no proof became ready within {timeout:.0f} s")
        time.sleep(0.01)
    return time.monotonic() - t0


async def _serve(payer: Payer, srv: uvicorn.Server, loops: list[asyncio.AbstractEventLoop]) -> None:
    loops.append(asyncio.get_running_loop())
    await payer.start()
    try:
        await srv.serve()
    finally:
        await payer.stop()


def run_calls(
    stack: Stack,
    agent: Agent,
    calls: int,
    progress: Callable[[str], None] = lambda _m: None,
    on_path_calls: int = ON_PATH_CALLS,
) -> None:
    """Run the prover service on a free loopback port and make paid calls through it with the
    official openai client: `on_path_calls` proving on their path, then `calls` with ready
    proofs; each call's cost is read back from the wallet."""
    mirror = VaultMirror(
        Web3(Web3.HTTPProvider(stack.rpc_url)),
        agent.pin.service.vault_address,
        stack.root / f"{agent.name}-mirror.sqlite",
        finality=Finality.after(CONFIRMATIONS),
    )
    pool = PoolProver.local(agent.pin.vk_hashes.request, max_depth=agent.pin.max_depth)
    pool.start()
    keeper = ProofKeeper(
        agent.wallet, MirrorTreeView(mirror), pool, agent.pin.service.service_id,
        enabled=False, refresh_s=0.5,
    )  # fmt: skip
    payer = Payer(
        wallet=agent.wallet,
        pin=agent.pin,
        proofs=keeper,
        transport=AsyncPrivateTransport(),
        delay=PreSendDelay(DelayBounds(min_s=0.0, max_s=0.0)),  # privacy knob off: latency
    )
    token, port = new_token(), _free_port()
    srv = server(payer, host="127.0.0.1", port=port, token=token)
    loops: list[asyncio.AbstractEventLoop] = []
    thread = threading.Thread(
        target=lambda: asyncio.run(_serve(payer, srv, loops)), name="zkcredits-demo-proxy",
        daemon=True,
    )  # fmt: skip
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not srv.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise DemoError("the prover service did not start within 60 s")
            time.sleep(0.02)
        client = openai.OpenAI(
            base_url=f"http://127.0.0.1:{port}/v1",
            api_key=token,
            http_client=httpx2.Client(trust_env=False, timeout=120),  # openai's own httpx
            max_retries=0,
        )
        before = agent.spent()
        for i in range(on_path_calls + calls):
            if i == on_path_calls:
                asyncio.run_coroutine_threadsafe(keeper.set_enabled(True), loops[0]).result(60)
            mode = ON_PATH if i < on_path_calls else READY
            if mode == READY:
                agent.think_seconds += _wait_ready(keeper, len(agent.notes))
            kind, args = _request(i)
            t0 = time.perf_counter()
            _one_call(client, kind, args)
            after = _wait_tickets(agent, before[0] + 1)
            seconds = time.perf_counter() - t0
            cost = (after[1] - before[1]) + (after[2] - before[2])
            agent.calls.append(CallRecord(kind, cost, seconds, mode))
            before = after
            if (i + 1) % 10 == 0:
                progress(f"{agent.name}: {i + 1}/{on_path_calls + calls} paid calls")
        client.close()
        if keeper.stats.on_path < on_path_calls:
            raise DemoError(f"only {keeper.stats.on_path} calls proved on their path")
        if keeper.stats.ready < calls:
            raise DemoError(f"only {keeper.stats.ready} of {calls} calls had a ready proof")
    finally:
        srv.should_exit = True
        thread.join(30)
        agent.prove_seconds.extend(keeper.stats.prove_seconds)
        pool.close()
        mirror.close()
