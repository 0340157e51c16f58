"""Fixtures shared by the contract tests (vault and ERC-8004).

- `dev`: `DevChain` on the session Anvil (snapshots, time travel, storage).
- `isolated`: snapshot before the test, revert after (state and time): tests stay independent.
- `accounts`: Anvil's funded dev accounts (`deployer`, `treasury`, `alice`, `bob`, `carol` aliases
  below); `poseidon_libraries`: PoseidonT3/T5 deployed once per session.
- `server_secret`, `server_pk`: a fixed Baby Jubjub state-signing key.
- `make_params`: `VaultParams` factory with overrides (default verifiers: `accept_all_verifiers`,
  test-only, for tests named `..._with_an_accept_all_verifier` or that never reach a verifier).
- `deploy_helper(name, *args)`: deploy a contracts/test/ helper (linked), returns a web3 contract.
- `deploy_vault(params=None, token=None, **overrides)`: a fresh vault in an isolated test.
- `eth_vault`: fresh vault (accept-all verifiers); `proof_vault`: fresh vault wired to the
  Groth16 verifiers of `proofs` (the real circuits), `withdraw_proof(vault, k, recipient, ...)`,
  `deposit_and_exit(vault, k, recipient, sender=...)`: alice deposits, `sender` starts the exit.
- `identity`, `reputation`, `validation`: ERC-8004 registries deployed once per test module;
  `agent_id`: a fresh agent of `OWNER` in `identity`.
Units, default parameters and `reverts_with` are in vault_setup.py; ERC-8004 helpers in
erc8004_setup.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from web3 import Web3
from web3.contract import Contract
from zkcredits_testing.devchain import DevChain

from prover.chain.artifacts import artifact, library_artifacts, link
from prover.chain.tx import deploy
from prover.chain.vault import (
    CreditVaultClient,
    deploy_eth_vault,
    deploy_libraries,
    deploy_token_vault,
)
from prover.chain.vault_params import VaultParams
from prover.crypto.eddsa import public_key

from . import erc8004_setup
from .vault_setup import GWEI, D, vault_params

SERVER_SECRET = 0x2A1B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F80


@pytest.fixture(scope="session")
def dev(w3: Web3) -> DevChain:
    return DevChain(w3)


@pytest.fixture
def isolated(dev: DevChain) -> Iterator[None]:
    with dev.isolated():
        yield


@pytest.fixture(scope="session")
def accounts(w3: Web3) -> list[str]:
    return [str(a) for a in w3.eth.accounts]


@pytest.fixture(scope="session")
def deployer(accounts: list[str]) -> str:
    return accounts[0]


@pytest.fixture(scope="session")
def treasury(accounts: list[str]) -> str:
    return accounts[1]


@pytest.fixture(scope="session")
def alice(accounts: list[str]) -> str:
    return accounts[2]


@pytest.fixture(scope="session")
def bob(accounts: list[str]) -> str:
    return accounts[3]


@pytest.fixture(scope="session")
def carol(accounts: list[str]) -> str:
    return accounts[4]


@pytest.fixture(scope="session")
def poseidon_libraries(w3: Web3, deployer: str) -> dict[str, str]:
    return deploy_libraries(w3, deployer)


@pytest.fixture(scope="session")
def server_secret() -> int:
    return SERVER_SECRET


@pytest.fixture(scope="session")
def server_pk(server_secret: int) -> tuple[int, int]:
    pk = public_key(server_secret)
    return pk.x, pk.y


@pytest.fixture(scope="session")
def deploy_helper(
    w3: Web3, deployer: str, poseidon_libraries: dict[str, str]
) -> Callable[..., Any]:
    """`deploy_helper("FeeOnTransferToken", fee)`: deploy a contracts/test/ helper, return it."""

    def make(name: str, *args: object) -> Any:
        art = artifact(name, test=True)
        bytecode = art.bytecode
        if "__$" in bytecode:
            bytecode = link(bytecode, poseidon_libraries, library_artifacts())
        receipt = deploy(w3, sender=deployer, abi=art.abi, bytecode=bytecode, args=args)
        assert receipt.contract_address is not None
        return w3.eth.contract(
            address=Web3.to_checksum_address(receipt.contract_address), abi=art.abi
        )

    return make


WITHDRAW_VK_HASH = "0x" + "22" * 32
SLASH_VK_HASH = "0x" + "33" * 32


@pytest.fixture(scope="session")
def accept_all_verifiers(deploy_helper: Callable[..., Any]) -> tuple[str, str]:
    """(withdraw, slash) test-only verifiers that accept everything, with pinned vk hashes."""
    return (
        str(deploy_helper("AcceptAllVerifier", bytes.fromhex(WITHDRAW_VK_HASH[2:])).address),
        str(deploy_helper("AcceptAllVerifier", bytes.fromhex(SLASH_VK_HASH[2:])).address),
    )


@pytest.fixture(scope="session")
def make_params(
    server_pk: tuple[int, int], treasury: str, accept_all_verifiers: tuple[str, str]
) -> Callable[..., VaultParams]:
    """`vault_params()` with this session's server key, treasury and accept-all verifiers."""

    def make(**overrides: Any) -> VaultParams:
        values: dict[str, Any] = {
            "server_pk_x": server_pk[0],
            "server_pk_y": server_pk[1],
            "treasury": treasury,
            "withdraw_verifier": accept_all_verifiers[0],
            "slash_verifier": accept_all_verifiers[1],
            "withdraw_vk_hash": WITHDRAW_VK_HASH,
            "slash_vk_hash": SLASH_VK_HASH,
        }
        return vault_params(**{**values, **overrides})

    return make


@pytest.fixture
def deploy_vault(
    w3: Web3,
    isolated: None,
    make_params: Callable[..., VaultParams],
    deployer: str,
    poseidon_libraries: dict[str, str],
) -> Callable[..., CreditVaultClient]:
    """`deploy_vault(unit=1)`: an EthCreditVault with `make_params(**overrides)`, or with the
    given `params=`; with `token=` a TokenCreditVault of that token instead."""

    def make(
        params: VaultParams | None = None, token: str | None = None, **overrides: Any
    ) -> CreditVaultClient:
        assert params is None or not overrides, "give params or overrides, not both"
        if params is None:
            params = make_params(**overrides)
        if token is None:
            return deploy_eth_vault(w3, params, sender=deployer, libraries=poseidon_libraries)
        return deploy_token_vault(w3, params, token, sender=deployer, libraries=poseidon_libraries)

    return make


@pytest.fixture
def eth_vault(deploy_vault: Callable[..., CreditVaultClient]) -> CreditVaultClient:
    """A fresh EthCreditVault with default params (accept-all verifiers: no proofs needed)."""
    return deploy_vault()


@pytest.fixture(scope="session")
def proofs() -> Any:
    """Withdraw/slash proofs from the real circuits/withdraw.circom and slash.circom (dev keys
    made once per session, `zkcredits_testing.vault_proofs`)."""
    from zkcredits_testing.vault_proofs import proof_source

    return proof_source()


@pytest.fixture(scope="session")
def verifiers(w3: Web3, deployer: str, proofs: Any) -> Any:
    return proofs.deploy_verifiers(w3, deployer)


@pytest.fixture
def proof_vault(deploy_vault: Callable[..., CreditVaultClient], verifiers: Any) -> Any:
    """An EthCreditVault wired to the Groth16 verifiers of `proofs`."""
    return deploy_vault(
        withdraw_verifier=verifiers.withdraw,
        slash_verifier=verifiers.slash,
        withdraw_vk_hash=verifiers.withdraw_vk_hash,
        slash_vk_hash=verifiers.slash_vk_hash,
    )


@pytest.fixture
def withdraw_proof(proofs: Any, server_pk: tuple[int, int]) -> Callable[..., Any]:
    """`withdraw_proof(vault, k, recipient, pending=False, deposit=None, service_id=None)`."""
    from zkcredits_testing.vault_proofs import WithdrawStatement

    def make(
        vault: Any,
        k: int,
        recipient: str,
        pending: bool = False,
        deposit: int | None = None,
        service_id: int | None = None,
    ) -> Any:
        from prover.crypto.rln import note_id

        params = vault.params()
        statement = WithdrawStatement(
            k=k,
            deposit=vault.note(note_id(k)).deposit if deposit is None else deposit,
            service_id=vault.service_id() if service_id is None else service_id,
            c_max=params.c_max,
            penalty_max=params.penalty_max,
            server_pk=server_pk,
            recipient=recipient,
            pending=pending,
        )
        return proofs.withdraw(statement)

    return make


@pytest.fixture
def deposit_and_exit(withdraw_proof: Callable[..., Any], alice: str) -> Callable[..., Any]:
    """`proof, receipt = deposit_and_exit(vault, k, recipient, sender=bob, pending=False)`:
    alice deposits D units for note k, then `sender` requests its exit to `recipient` with a real
    withdraw proof."""
    from prover.crypto.rln import note_id

    def run(vault: Any, k: int, recipient: str, *, sender: str, pending: bool = False) -> Any:
        vault.deposit(note_id(k), D * GWEI, sender=alice)
        proof = withdraw_proof(vault, k, recipient, pending=pending)
        receipt = vault.request_withdrawal(proof.calldata, proof.signals, sender=sender)
        return proof, receipt

    return run


@pytest.fixture(scope="module")
def registries(w3: Web3) -> erc8004_setup.Registries:
    """The ERC-8004 registries, deployed once per test module."""
    return erc8004_setup.deploy(w3)


@pytest.fixture(scope="module")
def identity(registries: erc8004_setup.Registries) -> Contract:
    return registries.identity


@pytest.fixture(scope="module")
def reputation(registries: erc8004_setup.Registries) -> Contract:
    return registries.reputation


@pytest.fixture(scope="module")
def validation(registries: erc8004_setup.Registries) -> Contract:
    return registries.validation


@pytest.fixture
def agent_id(w3: Web3, identity: Contract) -> int:
    """A fresh agent in `identity`, owned by `erc8004_setup.OWNER`."""
    return erc8004_setup.new_agent(w3, identity)
