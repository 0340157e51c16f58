"""Discovery refuses vaults a client must not deposit into, even when the registration file
matches the vault field for field (issue 13): a verifier whose code is not the one built from its
pinned key (the accept-all test verifier), dev keys or a dev setup off a local chain, and a root
window the chain's finality lag leaves without a usable root."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from web3 import Web3
from zkcredits_testing.devchain import DevChain
from zkcredits_testing.devkeys import anvil_account
from zkcredits_testing.devprovider import dev_config

from prover.chain.artifacts import artifact
from prover.chain.deploy.agent import register_provider_agent
from prover.chain.deploy.inputs import BuildInputs, read_build
from prover.chain.deploy.service import vault_view
from prover.chain.erc8004 import RegistryAddresses, deploy_registries
from prover.chain.root_window import finality_lag
from prover.chain.sender import Sender
from prover.chain.tx import deploy
from prover.chain.vault import deploy_eth_vault, deploy_libraries
from prover.chain.vault_params import VaultParams
from prover.circuits.build import CircuitBuild
from prover.circuits.manifest import CEREMONY_SETUP
from prover.client.discovery import connect_chain, discover
from prover.client.errors import DiscoveryError
from prover.client.keyring import Keyring
from prover.crypto import generate_secret_key
from prover.toolchain.anvil import AnvilProcess

pytestmark = pytest.mark.slow


@dataclass
class Chain:
    w3: Web3
    registries: RegistryAddresses
    libraries: dict[str, str]
    verifiers: dict[str, str]  # the build's real verifiers, deployed once
    build: BuildInputs


def _chain(rpc_url: str) -> Chain:
    w3 = connect_chain(rpc_url)
    deployer = anvil_account(0).address
    build = read_build()
    verifiers = {}
    for circuit, compiled in build.verifiers.items():
        receipt = deploy(w3, sender=deployer, abi=compiled.abi, bytecode=compiled.bytecode,
                         context=circuit)  # fmt: skip
        verifiers[circuit] = str(receipt.contract_address)
    deployed = deploy_registries(Sender(w3, anvil_account(0)))
    registries = RegistryAddresses(
        identity=deployed["IdentityRegistry"].address,
        reputation=deployed["ReputationRegistry"].address,
        validation=deployed["ValidationRegistry"].address,
    )
    return Chain(w3, registries, deploy_libraries(w3, deployer), verifiers, build)


@pytest.fixture(scope="module")
def local(circuits_built: list[CircuitBuild]) -> Iterator[Chain]:
    with AnvilProcess() as info:
        yield _chain(info.rpc_url)


@pytest.fixture(scope="module")
def testnet(circuits_built: list[CircuitBuild]) -> Iterator[Chain]:
    with AnvilProcess(extra_args=["--chain-id", "4242"]) as info:
        yield _chain(info.rpc_url)


def _provider(chain: Chain, build: BuildInputs | None = None, **overrides: object) -> int:
    """A vault (overrides on the dev config's params) and its agent, registered with a file that
    matches the vault exactly; returns the agent id."""
    build = build or chain.build
    config = dev_config(generate_secret_key(), "http://127.0.0.1:9/")
    values: dict[str, object] = {
        "unit": config.unit, "c_max": config.c_max, "penalty_max": config.penalty_max,
        "reserve": config.reserve, "min_deposit": config.min_deposit,
        "note_ttl_days": config.note_ttl_days, "exit_grace_days": config.exit_grace_days,
        "exit_delay": config.exit_delay, "root_epoch": config.root_epoch,
        "root_ttl": config.root_ttl, "server_pk_x": config.server_pk[0],
        "server_pk_y": config.server_pk[1],
        "price_schedule_hash": "0x" + config.price_schedule.schedule_hash().hex(),
        "treasury": config.treasury, "withdraw_verifier": chain.verifiers["withdraw"],
        "slash_verifier": chain.verifiers["slash"],
        "withdraw_vk_hash": "0x" + build.vk_hashes.withdraw.hex(),
        "slash_vk_hash": "0x" + build.vk_hashes.slash.hex(),
    }  # fmt: skip
    params = VaultParams.model_validate(values).model_copy(update=overrides)
    vault = deploy_eth_vault(
        chain.w3, params, sender=anvil_account(0).address, libraries=chain.libraries
    )
    view = vault_view(chain.w3, vault.address, artifact("EthCreditVault").abi)
    agent = register_provider_agent(
        Sender(chain.w3, anvil_account(0)), config, build, view, chain.registries,
        anvil_account(0), lambda _m: None,
    )  # fmt: skip
    return agent.agent_id


def _refused(chain: Chain, agent_id: int, tmp_path: Path) -> DiscoveryError:
    with pytest.raises(DiscoveryError) as info:
        discover(chain.w3, chain.registries.identity, agent_id, keyring=Keyring(tmp_path))
    return info.value


def test_an_honest_provider_with_the_builds_verifiers_is_accepted(
    local: Chain, tmp_path: Path
) -> None:
    agent = _provider(local)
    pin = discover(local.w3, local.registries.identity, agent, keyring=Keyring(tmp_path))
    assert pin.setup == "dev-single-party" and pin.keys is not None


def test_the_accept_all_verifier_passes_the_constructor_but_fails_discovery(
    local: Chain, tmp_path: Path
) -> None:
    test_contract = artifact("AcceptAllVerifier", test=True)
    pins = {"withdraw": local.build.vk_hashes.withdraw, "slash": local.build.vk_hashes.slash}
    for circuit, vk_hash in pins.items():
        receipt = deploy(local.w3, sender=anvil_account(0).address, abi=test_contract.abi,
                         bytecode=test_contract.bytecode, args=[vk_hash])  # fmt: skip
        accept_all = str(receipt.contract_address)
        # It reports the pinned vk hash, so the vault's constructor takes it...
        agent = _provider(local, **{f"{circuit}_verifier": accept_all})
        # ...but its code is not the verifier built from that key.
        error = _refused(local, agent, tmp_path)
        assert error.field == f"zkcredits.params.{circuit}_verifier"
        assert "forged" in str(error)


def test_dev_keys_are_refused_off_a_local_chain(testnet: Chain, tmp_path: Path) -> None:
    assert testnet.w3.eth.chain_id == 4242
    agent = _provider(testnet, root_ttl=10_800)  # the build's dev keys, registered as such
    assert _refused(testnet, agent, tmp_path).field == "zkcredits.setup"
    # Claiming a ceremony does not help: the verifiers say DEV_SETUP = true.
    manifests = {c: m.model_copy(update={"setup": CEREMONY_SETUP})
                 for c, m in testnet.build.manifests.items()}  # fmt: skip
    claimed = testnet.build.model_copy(update={"manifests": manifests})
    assert claimed.setup == CEREMONY_SETUP
    agent = _provider(testnet, build=claimed, root_ttl=10_800)
    assert _refused(testnet, agent, tmp_path).field == "zkcredits.params.withdraw_verifier"


def test_a_root_window_the_chains_lag_leaves_without_a_root_is_refused(
    testnet: Chain, tmp_path: Path
) -> None:
    dev = DevChain(testnet.w3)
    start = dev.timestamp()
    for i in range(1, 71):  # Anvil's finalized block trails by 64 blocks: 64 × 30 s of lag
        dev.advance_to(start + 30 * i)
    # root_ttl = root_epoch + 5 min: the vault's own minimum, enough only without a lag.
    agent = _provider(testnet, root_epoch=600, root_ttl=900)
    error = _refused(testnet, agent, tmp_path)
    lag = finality_lag(testnet.w3)
    assert lag > 900 - 600 and error.field == "zkcredits.params.root_ttl"
    assert f"finality lag {lag} " in str(error)
