"""Deploy steps of the ERC-8004 side: the registries, then the provider's agent and wallet."""

from __future__ import annotations

from collections.abc import Callable

from eth_account.signers.local import LocalAccount
from web3.logs import DISCARD as DISCARD_ERRORS
from web3.types import TxReceipt

from prover.chain.deploy.deployment_file import AgentRecord, ContractRecord, TxRecord
from prover.chain.deploy.errors import DeployError
from prover.chain.deploy.inputs import BuildInputs, DeployConfig
from prover.chain.erc8004 import (
    RegistryAddresses,
    deploy_registries,
    registry_contract,
    set_agent_wallet,
)
from prover.chain.registration import (
    KeyFiles,
    VaultView,
    agent_registry_id,
    build_registration,
    check_registration_against_vault,
    default_keys_url,
    parse_data_uri,
    to_data_uri,
)
from prover.chain.sender import Sender, checksum

Progress = Callable[[str], None]


def tx_record(receipt: TxReceipt) -> TxRecord:
    return TxRecord(
        tx_hash="0x" + bytes(receipt["transactionHash"]).hex(),
        block_number=int(receipt["blockNumber"]),
        gas_used=int(receipt["gasUsed"]),
    )


def deploy_or_reuse_registries(
    sender: Sender,
    existing: RegistryAddresses | None,
    records: dict[str, ContractRecord],
    say: Progress,
) -> RegistryAddresses:
    if existing is not None:
        for name, address in (
            ("IdentityRegistry", existing.identity),
            ("ReputationRegistry", existing.reputation),
            ("ValidationRegistry", existing.validation),
        ):
            records[name] = ContractRecord(address=checksum(address), reused=True)
        return existing
    say("deploying the ERC-8004 registries")
    for name, item in deploy_registries(sender).items():
        records[name] = ContractRecord(
            address=item.address,
            tx_hash=item.tx_hash,
            block_number=item.block_number,
            gas_used=item.gas_used,
        )
    return RegistryAddresses(
        identity=records["IdentityRegistry"].address,
        reputation=records["ReputationRegistry"].address,
        validation=records["ValidationRegistry"].address,
    )


def published_keys(config: DeployConfig, build: BuildInputs) -> KeyFiles:
    """Where the registration says the keys are served (the gateway's route by default)."""
    base = config.keys_url or default_keys_url(config.gateway_url)
    return KeyFiles(base_url=base, files=build.key_files)


def register_provider_agent(
    sender: Sender,
    config: DeployConfig,
    build: BuildInputs,
    view: VaultView,
    registries: RegistryAddresses,
    wallet: LocalAccount,
    say: Progress,
) -> AgentRecord:
    w3 = sender.w3
    identity = registry_contract(w3, "IdentityRegistry", registries.identity)
    say("registering the provider as an ERC-8004 agent")
    receipt = sender.call_fn(identity.functions.register(), "registering the agent")
    registered = identity.events.Registered().process_receipt(receipt, errors=DISCARD_ERRORS)
    agent_id = int(registered[0]["args"]["agentId"])
    register_tx = tx_record(receipt)
    registration = build_registration(
        name=config.agent_name,
        description=config.agent_description,
        gateway_url=config.gateway_url,
        image=config.agent_image,
        view=view,
        price_schedule=config.price_schedule,
        vk_hashes=build.vk_hashes,
        setup=build.setup,
        agent_id=agent_id,
        identity_registry=registries.identity,
        policy_hash=config.policy_hash,
        keys=published_keys(config, build),
        tee=config.tee,
    )
    uri = to_data_uri(registration)
    say(f"publishing the registration file of agent {agent_id} ({len(uri)} bytes, data: URI)")
    set_uri_tx = tx_record(
        sender.call_fn(identity.functions.setAgentURI(agent_id, uri), "setAgentURI")
    )
    say(f"proving the agent wallet {wallet.address} (EIP-712)")
    set_wallet_tx = tx_record(set_agent_wallet(sender, registries.identity, agent_id, wallet))
    on_chain = parse_data_uri(identity.functions.tokenURI(agent_id).call())
    check_registration_against_vault(
        on_chain, view, agent_id=agent_id, identity_registry=registries.identity
    )
    agent_wallet = checksum(identity.functions.getAgentWallet(agent_id).call())
    if agent_wallet != wallet.address:
        raise DeployError(
            f"agentWallet is {agent_wallet}, not {wallet.address}", field="agentWallet"
        )
    return AgentRecord(
        agent_id=agent_id,
        agent_registry=agent_registry_id(view.chain_id, registries.identity),
        owner=sender.address,
        agent_wallet=agent_wallet,
        agent_uri=uri,
        register_tx=register_tx,
        set_uri_tx=set_uri_tx,
        set_wallet_tx=set_wallet_tx,
    )
