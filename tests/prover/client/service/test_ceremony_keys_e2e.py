"""Keys for every deployment (issue 12.5), end to end on real components: a multi-party ceremony
(snarkjs, phase 1 made for tests and cached by hash, phase 2 per circuit: ceremony_keys.py), a
deployment with those keys to an Anvil started with chain id 4242 (dev keys are refused there),
the real gateway serving its published keys over HTTP, and a client that never built keys (a
fresh cache directory, the repository's build unavailable to it): discovery checks the verifiers'
code against the pinned keys it fetches, then deposit → paid calls → withdrawal, all proved with
the fetched keys."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from web3 import Web3
from zkcredits_testing.devchain import DevChain
from zkcredits_testing.devkeys import anvil_account
from zkcredits_testing.devprovider import dev_config

from prover.chain.deploy.deployment_file import Deployment
from prover.chain.deploy.service import deploy
from prover.chain.mirror import Finality, VaultMirror
from prover.circuits.artifacts import CIRCUITS_BUILD_DIR
from prover.circuits.build import BuildDirs, build_circuit
from prover.circuits.compiler import compile_circuit
from prover.circuits.prover import CircuitKeys
from prover.client.discovery import connect_chain, deposit_note, discover
from prover.client.errors import KeysUnavailableError
from prover.client.keyring import (
    Keyring,
    ensure_provider_keys,
    provider_key_files,
    provider_keys,
)
from prover.client.payer.payer import Payer
from prover.client.payer.proof_pool import PoolProver
from prover.client.payer.ready_proofs import ProofKeeper
from prover.client.transport.delay import DelayBounds, PreSendDelay
from prover.client.transport.private import AsyncPrivateTransport
from prover.client.tree_view import MirrorTreeView
from prover.client.wallet import KdfParams, NoteStatus, Wallet
from prover.client.withdraw import finalize_and_pull, request_withdrawal
from prover.crypto import generate_secret_key
from prover.gateway.app import GatewaySettings, create_app
from prover.gateway.app.key_route import PublishedKeys
from prover.gateway.chain.view import MirrorChainView
from prover.gateway.embedded import CHAT_MODEL, create_embedded_upstream
from prover.gateway.policy import RulePolicy
from prover.gateway.store import open_store
from prover.gateway.upstream.http import HttpUpstream
from prover.plumbing.server import ThreadedServer
from prover.toolchain.anvil import AnvilProcess

from .ceremony_keys import ceremony  # type: ignore[import-not-found]

# The ceremony's keys come from ceremony_keys.py: cached per machine (seconds), else made in the
# background from the start of the session (20-50 min of snarkjs on 2 cores), this test running
# last. The timeout covers a lone run on a machine that never made them.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]
CHAIN_ID = 4242
CHAT = "/v1/chat/completions"
FAST_KDF = KdfParams(log2_n=10, r=8, p=1)


@dataclass
class Provider:
    w3: Web3
    deployment: Deployment
    keys_dir: Path
    request_keys: CircuitKeys
    gateway_mirror: VaultMirror
    root: Path


@pytest.fixture(scope="module")
def provider(
    tmp_path_factory: pytest.TempPathFactory, ceremony_keys_made: None
) -> Iterator[Provider]:
    root = tmp_path_factory.mktemp("ceremony-provider")
    dirs = BuildDirs(keys=root / "keys", generated=root / "generated")
    for name in ("request", "withdraw", "slash"):
        artifacts = compile_circuit(name).artifacts
        output = ceremony(artifacts)
        build_circuit(artifacts, dirs, zkey=output.zkey, transcript=output.transcript_path)
    gateway = ThreadedServer()  # bound now: its URL goes into the deployment
    with (
        AnvilProcess(extra_args=["--chain-id", str(CHAIN_ID)]) as chain,
        ThreadedServer(create_embedded_upstream()) as upstream_url,
    ):
        sk = generate_secret_key()
        deployment = deploy(
            rpc_url=chain.rpc_url,
            deployer=anvil_account(0),
            config=dev_config(sk, gateway.url),
            generated_dir=dirs.generated,
            keys_dir=dirs.keys,
            circuits_dir=CIRCUITS_BUILD_DIR,
            deployments_dir=root / "deployments",
        )
        assert deployment.chain_id == CHAIN_ID and deployment.setup == "multi-party-ceremony"
        assert deployment.keys is not None
        w3 = connect_chain(chain.rpc_url)
        mirror = VaultMirror(w3, deployment.vault, root / "gateway-mirror.sqlite",
                             finality=Finality.after(0))  # fmt: skip
        mirror.sync()
        request_keys = CircuitKeys.load("request", dirs.keys, CIRCUITS_BUILD_DIR)
        p = deployment.params
        settings = GatewaySettings(
            chain_id=deployment.chain_id, vault=deployment.vault, unit=int(p.unit),
            c_max=p.c_max, reserve=p.reserve, penalty_max=p.penalty_max,
            price_schedule=deployment.price_schedule, vk_hashes=deployment.vk_hashes,
            root_epoch=int(p.root_epoch), root_ttl=int(p.root_ttl),
        )  # fmt: skip
        app = create_app(
            settings,
            chain=MirrorChainView(mirror, max_staleness=3600),
            upstream=HttpUpstream(upstream_url),
            policy=RulePolicy.from_config(None, penalty_max=p.penalty_max),
            store=open_store(str(root / "nullifiers.sqlite")),
            keys=request_keys,
            server_secret=sk,
            published_keys=PublishedKeys.from_build(
                dirs.keys, CIRCUITS_BUILD_DIR, expected=deployment.keys.files
            ),
        )
        gateway.start(app)
        try:
            yield Provider(w3, deployment, dirs.keys, request_keys, mirror, root)
        finally:
            gateway.stop()
            mirror.close()


def _fresh_client(root: Path) -> Keyring:
    """A client that never built keys: an empty cache, no access to any build directory."""
    return Keyring(root / "client-cache", build_keys_dir=None, build_circuits_dir=None,
                   generated_dir=None)  # fmt: skip


def test_a_client_that_never_built_keys_deposits_pays_and_withdraws_with_the_published_keys(
    provider: Provider, tmp_path: Path
) -> None:
    w3, deployment = provider.w3, provider.deployment
    keyring = _fresh_client(tmp_path)
    pin = discover(w3, deployment.registries.identity, deployment.agent.agent_id,
                   keyring=keyring, confirmations=0)  # fmt: skip
    assert pin.setup == "multi-party-ceremony" and pin.service.chain_id == CHAIN_ID
    # Discovery fetched the two on-chain verifiers' keys and rebuilt their code once.
    assert len(list((keyring.cache_dir / "vks").iterdir())) == 2
    assert len(list((keyring.cache_dir / "verifier-codehash").iterdir())) == 2

    ensure_provider_keys(keyring, pin)  # `zkcredits client init`: once per provider
    for circuit in ("request", "withdraw"):
        found = keyring.usable_dir(circuit, "0x" + getattr(pin.vk_hashes, circuit).hex())
        assert found is not None and found[0].is_relative_to(keyring.cache_dir)
    wallet = Wallet.create(tmp_path / "w.zkw", "pass", kdf=FAST_KDF)
    note = deposit_note(w3, anvil_account(5), pin, wallet, 20_000, keyring=keyring)
    DevChain(w3).advance(pin.root_epoch)
    provider.gateway_mirror.sync()

    client_mirror = VaultMirror(w3, pin.service.vault_address, tmp_path / "client.sqlite",
                                finality=Finality.after(0))  # fmt: skip
    # The prover service's own path: a proof pool that loads the fetched keys in its workers,
    # every note's next proof made ahead of time (`zkcredits client serve`).
    directory, artifacts = provider_key_files(keyring, pin, "request")
    prover = PoolProver(directory, artifacts, pin.vk_hashes.request, max_depth=pin.max_depth,
                        workers=1)  # fmt: skip
    try:
        prover.start()
        keeper = ProofKeeper(wallet, MirrorTreeView(client_mirror), prover,
                             pin.service.service_id, enabled=True)  # fmt: skip
        payer = Payer(
            wallet=wallet, pin=pin, proofs=keeper, transport=AsyncPrivateTransport(),
            delay=PreSendDelay(DelayBounds(min_s=0, max_s=0.05)),
        )  # fmt: skip
        costs = []

        async def calls() -> None:
            await payer.start()  # the note's first proof is made now, off any call's path
            try:
                for text in ("first paid call", "second paid call"):
                    body = {"model": CHAT_MODEL, "max_tokens": 8,
                            "messages": [{"role": "user", "content": text}]}  # fmt: skip
                    reply = await payer.call("POST", CHAT, json.dumps(body).encode(),
                                             "application/json")  # fmt: skip
                    assert reply.status == 200 and reply.cost is not None and reply.cost > 0
                    costs.append(reply.cost)
            finally:
                await payer.stop()

        asyncio.run(calls())
    finally:
        prover.close()
        client_mirror.close()
    assert wallet.note(note.id).state.n == 2

    account = anvil_account(7)
    withdraw_keys = provider_keys(keyring, pin, "withdraw")
    assert withdraw_keys.manifest.setup == "multi-party-ceremony"
    info = request_withdrawal(w3, account, wallet, note.id, account.address, pending=False,
                              keys=withdraw_keys)  # fmt: skip
    assert info.charged == sum(costs)
    DevChain(w3).advance(pin.exit_delay + 1)
    pulled = finalize_and_pull(w3, account, wallet, note.id)
    assert pulled == (20_000 - sum(costs)) * pin.service.unit
    assert wallet.note(note.id).status is NoteStatus.CLOSED


def test_without_usable_keys_nothing_is_deposited(provider: Provider, tmp_path: Path) -> None:
    w3, deployment = provider.w3, provider.deployment
    # Anvil finalizes 64 blocks behind its head: after another test's time jumps, let it catch up.
    w3.provider.make_request("anvil_mine", [hex(65)])  # type: ignore[arg-type]
    keyring = _fresh_client(tmp_path)
    pin = discover(w3, deployment.registries.identity, deployment.agent.agent_id,
                   keyring=keyring, confirmations=0)  # fmt: skip
    unpublished = pin.model_copy(update={"keys": None})  # a provider that publishes none
    wallet = Wallet.create(tmp_path / "w.zkw", "pass", kdf=FAST_KDF)
    account = anvil_account(6)
    nonce = w3.eth.get_transaction_count(account.address)
    with pytest.raises(KeysUnavailableError) as info:
        deposit_note(w3, account, unpublished, wallet, 20_000, keyring=keyring)
    assert info.value.field == "keys.request"
    assert wallet.notes() == [] and w3.eth.get_transaction_count(account.address) == nonce
    gone = pin.model_copy(
        update={"keys": pin.keys.model_copy(update={"base_url": "http://127.0.0.1:9/k/"})}  # type: ignore[union-attr]
    )
    with pytest.raises(KeysUnavailableError):
        deposit_note(w3, account, gone, wallet, 20_000, keyring=keyring)
    assert wallet.notes() == [] and w3.eth.get_transaction_count(account.address) == nonce
