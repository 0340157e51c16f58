"""Gas of the ERC-8004 on-boarding as `zkcredits deploy` does it (benchmarks and the gas test)."""

from __future__ import annotations

from eth_account.signers.local import LocalAccount
from pydantic import BaseModel, ConfigDict
from web3 import Web3
from web3.logs import DISCARD

from prover.chain.erc8004 import (
    deploy_registries,
    register_agent,
    registry_abis,
    registry_contract,
    set_agent_wallet,
)
from prover.chain.sender import Sender


class RegistrationGas(BaseModel):
    """Gas of the provider's ERC-8004 on-boarding (for the gas benchmark)."""

    model_config = ConfigDict(frozen=True)

    deploy_identity: int
    deploy_reputation: int
    deploy_validation: int
    register_without_uri: int
    """`register()`: what `zkcredits deploy` sends first (the file must name the agent id)."""
    set_agent_uri: int
    """`setAgentURI(agentId, data URI)`: dominated by storing the URI (~22 k gas per 32 bytes)."""
    register_with_uri: int
    """`register(agentURI)` in one transaction (same URI, another agent), for comparison."""
    set_agent_wallet: int
    """`setAgentWallet` with an EIP-712 signature of an EOA."""
    agent_uri_bytes: int


def measure_agent_registration_gas(
    w3: Web3, owner: LocalAccount, wallet: LocalAccount, agent_uri: str
) -> RegistrationGas:
    """Deploy fresh registries and on-board agents as `zkcredits deploy` does; report gas.

    `owner` must be funded; `wallet` only signs. Each number is a mined receipt's `gasUsed`.
    """
    sender = Sender(w3, owner, abis=registry_abis())
    deployed = deploy_registries(sender)
    identity_address = deployed["IdentityRegistry"].address
    identity = registry_contract(w3, "IdentityRegistry", identity_address)
    receipt = sender.call_fn(identity.functions.register(), "register()")
    agent_id = int(
        identity.events.Registered().process_receipt(receipt, errors=DISCARD)[0]["args"]["agentId"]
    )
    set_uri = sender.call_fn(identity.functions.setAgentURI(agent_id, agent_uri), "setAgentURI")
    wallet_receipt = set_agent_wallet(sender, identity_address, agent_id, wallet)
    one_shot = register_agent(sender, identity_address, agent_uri)
    return RegistrationGas(
        deploy_identity=deployed["IdentityRegistry"].gas_used,
        deploy_reputation=deployed["ReputationRegistry"].gas_used,
        deploy_validation=deployed["ValidationRegistry"].gas_used,
        register_without_uri=int(receipt["gasUsed"]),
        set_agent_uri=int(set_uri["gasUsed"]),
        register_with_uri=one_shot.gas_used,
        set_agent_wallet=int(wallet_receipt["gasUsed"]),
        agent_uri_bytes=len(agent_uri.encode()),
    )
