"""`ZKCREDITS_CONFIRMATIONS=finalized` on a real Anvil, through the client's own code path:
discovery accepts it, and the client's chain mirror (`prover.client.session.open_mirror`) then
trusts only the node's `finalized` block (Anvil: 64 blocks behind its head), so a fresh deposit
appears once the node finalizes it, not before."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from web3 import Web3
from zkcredits_testing.devkeys import anvil_account
from zkcredits_testing.devprovider import deploy_dev_provider

from prover.chain.deploy.deployment_file import Deployment
from prover.client.discovery import connect_chain, deposit_note, discover
from prover.client.session import client_confirmations, open_mirror
from prover.client.wallet import KdfParams, Wallet
from prover.client.why_not import DEFAULT_BLOCK_TIME_S, FINALIZED_DEPTH, Timing
from prover.crypto import generate_secret_key
from prover.toolchain.anvil import AnvilProcess, ChainInfo

pytestmark = pytest.mark.slow
ANVIL_FINALIZED_LAG = 64  # Anvil's `finalized` tag: the head minus two epochs of 32 slots


@pytest.fixture(scope="module")
def chain() -> Iterator[ChainInfo]:
    with AnvilProcess() as info:
        yield info


@pytest.fixture(scope="module")
def deployment(
    chain: ChainInfo, circuits_built: object, tmp_path_factory: pytest.TempPathFactory
) -> Deployment:
    return deploy_dev_provider(
        chain.rpc_url, generate_secret_key(), "http://127.0.0.1:9/", tmp_path_factory.mktemp("d")
    )


@pytest.fixture(scope="module")
def w3(chain: ChainInfo) -> Web3:
    return connect_chain(chain.rpc_url)


def test_the_client_runs_with_finalized_and_trusts_only_the_nodes_finalized_block(
    w3: Web3, deployment: Deployment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZKCREDITS_CONFIRMATIONS", "finalized")
    depth = client_confirmations(int(w3.eth.chain_id))
    assert depth is None  # the node's `finalized` tag, on a local chain too
    pin = discover(
        w3, deployment.registries.identity, deployment.agent.agent_id, confirmations=depth
    )
    wallet_path = tmp_path / "w.zkw"
    with Wallet.create(wallet_path, "pass", kdf=KdfParams(log2_n=10, r=8, p=1)) as wallet:
        note = deposit_note(w3, anvil_account(5), pin, wallet, 20_000)
    mirror = open_mirror(w3, wallet_path, pin, client_confirmations(pin.service.chain_id))
    try:
        assert mirror.finality.use_finalized_tag
        mirror.sync()
        finalized = int(w3.eth.get_block("finalized")["number"])
        assert mirror.last_block is not None and mirror.last_block.number == finalized
        assert finalized == max(int(w3.eth.block_number) - ANVIL_FINALIZED_LAG, 0)
        assert not mirror.is_deposited(note.id)  # at the head, not final yet
        w3.provider.make_request("anvil_mine", [hex(ANVIL_FINALIZED_LAG)])  # type: ignore[arg-type]
        mirror.sync()
        assert mirror.is_deposited(note.id)
    finally:
        mirror.close()
    timing = Timing.of(pin, depth)
    assert timing.finality_s == FINALIZED_DEPTH * DEFAULT_BLOCK_TIME_S


def test_a_number_of_confirmations_is_a_depth_below_the_head(
    w3: Web3, deployment: Deployment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZKCREDITS_CONFIRMATIONS", "3")
    pin = discover(w3, deployment.registries.identity, deployment.agent.agent_id)
    depth = client_confirmations(pin.service.chain_id)
    assert depth == 3
    mirror = open_mirror(w3, tmp_path / "w.zkw", pin, depth)
    try:
        mirror.sync()
        assert not mirror.finality.use_finalized_tag
        assert mirror.last_block is not None
        assert mirror.last_block.number == int(w3.eth.block_number) - 3
    finally:
        mirror.close()
