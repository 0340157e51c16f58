"""Discovery and deposit against a real deployment on Anvil (the real circuit build's verifiers).

Each tampered registration file is registered as its own ERC-8004 agent on the same Identity
Registry, next to the honest one; discovery must name the field that disagrees with the vault.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3
from zkcredits_testing.devchain import DevChain
from zkcredits_testing.devkeys import anvil_account
from zkcredits_testing.devprovider import deploy_dev_provider

from prover.chain.deploy.deployment_file import Deployment
from prover.chain.erc8004 import register_agent
from prover.chain.registration import DATA_URI_PREFIX
from prover.chain.sender import Sender
from prover.client.chain_abi import identity_abi, vault_abi
from prover.client.discovery import connect_chain, deposit_note, discover
from prover.client.errors import (
    ChainUnreachableError,
    ChainViewError,
    ClientError,
    DiscoveryError,
)
from prover.client.profile import ProviderPin
from prover.client.tree_view import EventTreeView
from prover.client.wallet import KdfParams, NoteStatus, Wallet
from prover.crypto import BASE8, generate_secret_key, leaf, public_key
from prover.crypto.leanimt import verify_proof
from prover.toolchain.anvil import AnvilProcess, ChainInfo

pytestmark = pytest.mark.slow
FAST_KDF = KdfParams(log2_n=10, r=8, p=1)


@pytest.fixture(scope="module")
def chain() -> Iterator[ChainInfo]:
    with AnvilProcess() as info:
        yield info


@pytest.fixture(scope="module")
def server_sk() -> int:
    return generate_secret_key()


@pytest.fixture(scope="module")
def deployment(
    chain: ChainInfo, server_sk: int, tmp_path_factory: pytest.TempPathFactory
) -> Deployment:
    return deploy_dev_provider(
        chain.rpc_url, server_sk, "http://127.0.0.1:9/", tmp_path_factory.mktemp("deployments")
    )


@pytest.fixture(scope="module")
def w3(chain: ChainInfo) -> Web3:
    return connect_chain(chain.rpc_url)


def _file(deployment: Deployment) -> dict[str, Any]:
    uri = deployment.agent.agent_uri
    data: dict[str, Any] = json.loads(base64.b64decode(uri[len(DATA_URI_PREFIX) :]))
    return data


def _register(w3: Web3, deployment: Deployment, uri: str) -> int:
    sender = Sender(w3, anvil_account(0))
    return register_agent(sender, deployment.registries.identity, uri).agent_id


def _uri(data: dict[str, Any]) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return DATA_URI_PREFIX + base64.b64encode(text.encode()).decode()


def test_discovery_pins_every_value_the_vault_holds(
    w3: Web3, deployment: Deployment, server_sk: int
) -> None:
    pin = discover(w3, deployment.registries.identity, deployment.agent.agent_id)
    assert pin.service.vault_address == deployment.vault
    assert pin.service.service_id == deployment.service_id
    assert pin.service.server_pk == public_key(server_sk)
    assert pin.service.c_max == deployment.params.c_max
    assert pin.service.reserve == deployment.params.reserve
    assert pin.service.penalty_max == deployment.params.penalty_max
    assert pin.service.unit == deployment.params.unit
    assert pin.min_deposit == deployment.params.min_deposit
    assert pin.price_schedule == deployment.price_schedule
    assert pin.vk_hashes == deployment.vk_hashes
    assert pin.gateway_url == "http://127.0.0.1:9/"
    assert ProviderPin.model_validate_json(pin.model_dump_json()) == pin


def _set(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    def apply(data: dict[str, Any]) -> None:
        node = data
        keys = path.split(".")
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value

    return apply


TAMPERS: list[tuple[str, str, Any]] = [
    ("zkcredits.params.c_max", "zkcredits.params.c_max", "999"),
    ("zkcredits.params.reserve", "zkcredits.params.reserve", "2001"),
    ("zkcredits.params.penalty_max", "zkcredits.params.penalty_max", "1999"),
    ("zkcredits.params.unit", "zkcredits.params.unit", "1"),
    ("zkcredits.params.min_deposit", "zkcredits.params.min_deposit", "20000"),
    ("zkcredits.params.exit_delay", "zkcredits.params.exit_delay", "172801"),
    ("zkcredits.params.root_ttl", "zkcredits.params.root_ttl", "3601"),
    ("zkcredits.params.server_pk", "zkcredits.params.server_pk", [str(BASE8.x), str(BASE8.y)]),
    ("zkcredits.params.treasury", "zkcredits.params.treasury", "0x" + "11" * 20),
    ("zkcredits.params.withdraw_vk_hash", "zkcredits.params.withdraw_vk_hash", "0x" + "22" * 32),
    (
        "zkcredits.params.price_schedule_hash",
        "zkcredits.params.price_schedule_hash",
        "0x" + "33" * 32,
    ),
    ("zkcredits.chain_id", "zkcredits.chain_id", 1),
    ("zkcredits.service_id", "zkcredits.service_id", "12345"),
    ("zkcredits.asset", "zkcredits.asset", "0x" + "44" * 20),
    ("zkcredits.price_schedule_hash", "zkcredits.price_schedule_hash", "0x" + "55" * 32),
    ("zkcredits.vk_hashes.withdraw", "zkcredits.vk_hashes.withdraw", "0x" + "66" * 32),
    ("zkcredits.vk_hashes.slash", "zkcredits.vk_hashes.slash", "0x" + "77" * 32),
    ("supportedTrust", "supportedTrust", ["reputation"]),
    ("x402Support", "x402Support", False),
]


@pytest.mark.parametrize(("path", "field", "value"), TAMPERS, ids=[t[0] for t in TAMPERS])
def test_a_registration_value_that_differs_from_the_vault_is_refused_by_name(
    w3: Web3, deployment: Deployment, path: str, field: str, value: Any
) -> None:
    data = _file(deployment)
    _set(path, value)(data)
    agent = _register(w3, deployment, _uri(data))
    with pytest.raises(DiscoveryError) as info:
        discover(w3, deployment.registries.identity, agent)
    assert info.value.field == field


def test_a_schedule_that_does_not_hash_to_the_pinned_hash_is_refused(
    w3: Web3, deployment: Deployment
) -> None:
    data = _file(deployment)
    data["zkcredits"]["price_schedule"]["routes"][0]["models"]["zk-embedded-chat"][
        "per_1k_output_tokens"
    ] = 1
    agent = _register(w3, deployment, _uri(data))
    with pytest.raises(DiscoveryError) as info:
        discover(w3, deployment.registries.identity, agent)
    assert info.value.field == "zkcredits.price_schedule"


def test_a_file_pointing_at_another_vault_is_refused(w3: Web3, deployment: Deployment) -> None:
    data = _file(deployment)
    data["zkcredits"]["vault"] = deployment.registries.identity  # code, but not a vault
    agent = _register(w3, deployment, _uri(data))
    with pytest.raises(DiscoveryError) as info:
        discover(w3, deployment.registries.identity, agent)
    assert info.value.field == "vault"


def test_an_honest_copy_registered_under_another_agent_id_is_refused(
    w3: Web3, deployment: Deployment
) -> None:
    agent = _register(w3, deployment, deployment.agent.agent_uri)
    with pytest.raises(DiscoveryError) as info:
        discover(w3, deployment.registries.identity, agent)
    assert info.value.field == "registrations"


def test_a_uri_that_is_not_a_data_uri_is_refused(w3: Web3, deployment: Deployment) -> None:
    agent = _register(w3, deployment, "https://provider.example/agent.json")
    with pytest.raises(DiscoveryError) as info:
        discover(w3, deployment.registries.identity, agent)
    assert info.value.field == "uri"


def test_an_unknown_agent_id_is_refused(w3: Web3, deployment: Deployment) -> None:
    with pytest.raises(DiscoveryError) as info:
        discover(w3, deployment.registries.identity, 10_000)
    assert info.value.field == "agent_id"


def test_an_unreachable_chain_is_one_clear_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ChainUnreachableError):
        connect_chain(f"http://127.0.0.1:{port}")


def test_the_abi_subset_matches_the_compiled_contracts() -> None:
    from prover.chain.artifacts import artifact
    from prover.chain.erc8004_build import compile_registries

    vault = artifact("EthCreditVault").abi
    identity = compile_registries()["IdentityRegistry"].abi
    for entry in vault_abi():
        assert entry in vault, entry["name"]
    for entry in identity_abi():
        assert entry in identity, entry["name"]


def test_a_deposit_is_recorded_from_its_event_and_enters_the_next_checkpoint(
    w3: Web3, deployment: Deployment, tmp_path: Path
) -> None:
    pin = discover(w3, deployment.registries.identity, deployment.agent.agent_id)
    wallet = Wallet.create(tmp_path / "w.zkw", "pass", kdf=FAST_KDF)
    account = anvil_account(5)
    first = deposit_note(w3, account, pin, wallet, 20_000)
    assert first.status is NoteStatus.ACTIVE and first.deposit is not None
    vault = w3.eth.contract(
        address=Web3.to_checksum_address(pin.service.vault_address), abi=vault_abi()
    )
    on_chain = vault.functions.noteOf(first.id).call()
    assert on_chain[1] == first.deposit.D == 20_000
    assert on_chain[2] == first.deposit.expiry
    index = first.deposit.leaf_index
    DevChain(w3).advance(pin.root_epoch)
    second = deposit_note(w3, account, pin, wallet, 10_000)
    assert second.id != first.id and second.k != first.k
    assert second.deposit is not None and second.deposit.leaf_index == index + 1
    tree = EventTreeView(w3, pin.service.vault_address)
    checkpoint = tree.newest_checkpoint()
    assert checkpoint.size == index + 1
    proof = tree.merkle_proof(index)
    assert proof.leaf == leaf(first.id, 20_000, first.deposit.expiry)
    assert proof.root == checkpoint.root and verify_proof(proof)
    with pytest.raises(ChainViewError) as info:
        tree.merkle_proof(index + 1)
    assert info.value.field == "leaf_index"


def test_a_deposit_below_the_minimum_is_refused_before_anything_is_sent(
    w3: Web3, deployment: Deployment, tmp_path: Path
) -> None:
    pin = discover(w3, deployment.registries.identity, deployment.agent.agent_id)
    wallet = Wallet.create(tmp_path / "w.zkw", "pass", kdf=FAST_KDF)
    account = anvil_account(6)
    nonce = w3.eth.get_transaction_count(account.address)
    with pytest.raises(ClientError) as info:
        deposit_note(w3, account, pin, wallet, pin.min_deposit - 1)
    assert info.value.field == "amount"
    assert wallet.notes() == []
    assert w3.eth.get_transaction_count(account.address) == nonce
