"""What the ERC-8004 registry tests share besides fixtures: senders, deployment, revert checks.

Accounts are Anvil's dev accounts by index; `OWNER` (1) owns the agents registered here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError
from zkcredits_testing.devkeys import anvil_account

from prover.chain.deploy.errors import TransactionRevertedError
from prover.chain.erc8004 import deploy_registries, register_agent, registry_abis, registry_contract
from prover.chain.sender import Sender, decode_revert

OWNER = 1


@dataclass(frozen=True)
class Registries:
    identity: Contract
    reputation: Contract
    validation: Contract


def sender_for(w3: Web3, index: int) -> Sender:
    """A `Sender` for Anvil dev account `index` that decodes the registries' custom errors."""
    return Sender(w3, anvil_account(index), abis=registry_abis())


def deploy(w3: Web3) -> Registries:
    """The three registries, deployed by account 0."""
    deployed = deploy_registries(sender_for(w3, 0))
    return Registries(
        *(
            registry_contract(w3, name, deployed[name].address)
            for name in ("IdentityRegistry", "ReputationRegistry", "ValidationRegistry")
        )
    )


def new_agent(w3: Web3, identity: Contract, uri: str = "ipfs://agent") -> int:
    """Register an agent owned by `OWNER`; its id."""
    return register_agent(sender_for(w3, OWNER), identity.address, uri).agent_id


def reverts(name: str, action: Callable[[], object]) -> tuple[object, ...]:
    """Run a transaction that must revert with the custom error `name`; the error's arguments."""
    with pytest.raises(TransactionRevertedError) as info:
        action()
    assert info.value.error_name == name, str(info.value)
    return info.value.error_args


def view_reverts(name: str, action: Callable[[], object]) -> tuple[object, ...]:
    """Run a call that must revert with the custom error `name`; the error's arguments."""
    with pytest.raises(ContractCustomError) as info:
        action()
    data = info.value.data
    assert isinstance(data, str)
    decoded, args = decode_revert(data, registry_abis())
    assert decoded == name
    return args


def new_agent_of(w3: Web3, identity: Contract, owner: int, uri: str = "ipfs://agent") -> int:
    """Register an agent owned by Anvil dev account `owner`; its id."""
    return register_agent(sender_for(w3, owner), identity.address, uri).agent_id
