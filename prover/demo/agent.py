"""The honest agent: discovers the provider through ERC-8004, deposits a few notes, runs the
local prover service (the OpenAI-compatible proxy) and makes paid calls with the official
`openai` client — chat, streamed chat and embeddings of varying cost."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import openai
from eth_account.signers.local import LocalAccount
from web3 import Web3

from prover.chain.devkeys import anvil_account
from prover.chain.mirror import Finality, VaultMirror
from prover.circuits.prover import CircuitKeys
from prover.client.delay import DelayBounds, PreSendDelay
from prover.client.discovery import deposit_note, discover
from prover.client.payer import Payer
from prover.client.profile import ProviderPin, new_token
from prover.client.request_prover import CallProof, NoteProver
from prover.client.service.run import server
from prover.client.transport import AsyncPrivateTransport
from prover.client.tree_view import MirrorTreeView
from prover.client.wallet import KdfParams, Note, PendingTicket, Wallet
from prover.crypto.leanimt import MerkleProof
from prover.demo.errors import DemoError
from prover.demo.stack import CONFIRMATIONS, Stack
from prover.gateway.embedded import CHAT_MODEL, EMBED_MODEL

PASSPHRASE = "zkcredits demo wallet"
DEMO_KDF = KdfParams(log2_n=12, r=8, p=1)  # a throwaway demo wallet; real wallets use 2^17
AGENT_ACCOUNT = 5
KINDS = ("chat", "chat", "stream", "embeddings", "chat")


class TimedProver(NoteProver):
    """The wallet's request prover, recording how long each proof takes."""

    def __init__(self, keys: CircuitKeys, *, max_depth: int = 20) -> None:
        super().__init__(keys, max_depth=max_depth)
        self.seconds: list[float] = []

    def prove(self, note: Note, ticket: PendingTicket, path: MerkleProof) -> CallProof:
        t0 = time.perf_counter()
        try:
            return super().prove(note, ticket, path)
        finally:
            self.seconds.append(time.perf_counter() - t0)


@dataclass
class CallRecord:
    kind: str
    cost: int  # charge + penalty of this call, read from the signed state the gateway returned
    seconds: float  # wall time of the whole paid call seen by the application


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


def run_calls(
    stack: Stack, agent: Agent, calls: int, progress: Callable[[str], None] = lambda _m: None
) -> None:
    """Run the prover service on a free loopback port and make `calls` paid calls through it
    with the official openai client; each call's cost is read back from the wallet."""
    mirror = VaultMirror(
        Web3(Web3.HTTPProvider(stack.rpc_url)),
        agent.pin.service.vault_address,
        stack.root / f"{agent.name}-mirror.sqlite",
        finality=Finality.after(CONFIRMATIONS),
    )
    prover = TimedProver(stack.request_keys, max_depth=agent.pin.max_depth)
    payer = Payer(
        wallet=agent.wallet,
        pin=agent.pin,
        tree=MirrorTreeView(mirror),
        prover=prover,
        transport=AsyncPrivateTransport(),
        delay=PreSendDelay(DelayBounds(min_s=0.0, max_s=0.0)),
    )
    token, port = new_token(), _free_port()
    srv = server(payer, host="127.0.0.1", port=port, token=token)
    thread = threading.Thread(target=srv.run, name="zkcredits-demo-proxy", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not srv.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise DemoError("the prover service did not start within 30 s")
            time.sleep(0.02)
        client = openai.OpenAI(
            base_url=f"http://127.0.0.1:{port}/v1",
            api_key=token,
            http_client=httpx2.Client(trust_env=False, timeout=120),  # openai's own httpx
            max_retries=0,
        )
        before = agent.spent()
        for i in range(calls):
            kind, args = _request(i)
            t0 = time.perf_counter()
            _one_call(client, kind, args)
            after = _wait_tickets(agent, before[0] + 1)
            seconds = time.perf_counter() - t0
            cost = (after[1] - before[1]) + (after[2] - before[2])
            agent.calls.append(CallRecord(kind, cost, seconds))
            before = after
            if (i + 1) % 10 == 0:
                progress(f"{agent.name}: {i + 1}/{calls} paid calls")
        client.close()
    finally:
        srv.should_exit = True
        thread.join(15)
        agent.prove_seconds.extend(prover.seconds)
        prover.close()
        mirror.close()
