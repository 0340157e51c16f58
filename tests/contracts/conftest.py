"""Fixtures shared by the contract tests (vault and ERC-8004).

- `dev`: `DevChain` on the session Anvil (snapshots, time travel, storage).
- `isolated`: snapshot before the test, revert after (state and time): tests stay independent.
- `accounts`: Anvil's funded dev accounts (`deployer`, `treasury`, `alice`, `bob`, `carol` aliases
  below); `poseidon_libraries`: PoseidonT3/T5 deployed once per session.
- `server_secret`, `server_pk`: a fixed Baby Jubjub state-signing key.
- `make_params`: `VaultParams` factory with overrides (default verifiers: `accept_all_verifiers`,
  test-only, for tests named `..._with_an_accept_all_verifier` or that never reach a verifier).
- `deploy_helper(name, *args)`: deploy a contracts/test/ helper (linked), returns a web3 contract.
- `reverts_with("ErrorName")`: context manager asserting the exact custom error (args after).
- `eth_vault`: fresh vault (accept-all verifiers); `proof_vault`: fresh vault wired to the
  Groth16 verifiers of `proofs` (the real circuits), `withdraw_proof(vault, k, recipient, ...)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from web3 import Web3

from prover.chain.artifacts import artifact, library_artifacts, link
from prover.chain.devchain import DevChain
from prover.chain.tx import deploy
from prover.chain.vault import deploy_libraries
from prover.chain.vault_params import VaultParams
from prover.crypto.eddsa import public_key

DAY = 86400
GWEI = 10**9
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
    """Default parameters: unit 1 gwei, c_max 1000, penalty 5000, reserve 5000, min 10000 units."""

    def make(**overrides: Any) -> VaultParams:
        values: dict[str, Any] = {
            "unit": GWEI,
            "c_max": 1_000,
            "penalty_max": 5_000,
            "reserve": 5_000,
            "min_deposit": 10_000,
            "note_ttl_days": 30,
            "exit_grace_days": 2,
            "exit_delay": 2 * DAY,
            "root_epoch": 600,
            "root_ttl": 3600,
            "server_pk_x": server_pk[0],
            "server_pk_y": server_pk[1],
            "price_schedule_hash": "0x" + "11" * 32,
            "treasury": treasury,
            "withdraw_verifier": accept_all_verifiers[0],
            "slash_verifier": accept_all_verifiers[1],
            "withdraw_vk_hash": WITHDRAW_VK_HASH,
            "slash_vk_hash": SLASH_VK_HASH,
            "max_depth": 20,
        }
        values.update(overrides)
        return VaultParams(**values)

    return make


class RevertExpectation:
    """Filled by `reverts_with`: the decoded error, for assertions on its arguments."""

    def __init__(self) -> None:
        self.args: tuple[object, ...] = ()


@pytest.fixture(scope="session")
def reverts_with() -> Callable[..., Any]:
    """`with reverts_with("NoteNotActive") as err: ...` asserts the exact custom error."""
    from contextlib import contextmanager

    from prover.chain.errors import ContractRevertError

    @contextmanager
    def check(name: str) -> Iterator[RevertExpectation]:
        expectation = RevertExpectation()
        with pytest.raises(ContractRevertError) as info:
            yield expectation
        assert info.value.name == name, f"expected {name}, got {info.value}"
        expectation.args = info.value.args_

    return check


@pytest.fixture
def eth_vault(
    w3: Web3,
    isolated: None,
    make_params: Callable[..., VaultParams],
    deployer: str,
    poseidon_libraries: dict[str, str],
) -> Any:
    """A fresh EthCreditVault with default params (accept-all verifiers: no proofs needed)."""
    from prover.chain.vault import deploy_eth_vault

    return deploy_eth_vault(w3, make_params(), sender=deployer, libraries=poseidon_libraries)


@pytest.fixture(scope="session")
def proofs() -> Any:
    """Withdraw/slash proofs from the real circuits/withdraw.circom and slash.circom (dev keys
    made once per session); stand-ins only if those sources are missing (vault_proofs.py)."""
    from prover.chain.vault_proofs import proof_source

    return proof_source()


@pytest.fixture(scope="session")
def verifiers(w3: Web3, deployer: str, proofs: Any) -> Any:
    return proofs.deploy_verifiers(w3, deployer)


@pytest.fixture
def proof_vault(
    w3: Web3,
    isolated: None,
    make_params: Callable[..., VaultParams],
    deployer: str,
    poseidon_libraries: dict[str, str],
    verifiers: Any,
) -> Any:
    """An EthCreditVault wired to the Groth16 verifiers of `proofs`."""
    from prover.chain.vault import deploy_eth_vault

    params = make_params(
        withdraw_verifier=verifiers.withdraw,
        slash_verifier=verifiers.slash,
        withdraw_vk_hash=verifiers.withdraw_vk_hash,
        slash_vk_hash=verifiers.slash_vk_hash,
    )
    return deploy_eth_vault(w3, params, sender=deployer, libraries=poseidon_libraries)


@pytest.fixture
def withdraw_proof(proofs: Any, server_pk: tuple[int, int]) -> Callable[..., Any]:
    """`withdraw_proof(vault, k, recipient, pending=False, deposit=None, service_id=None)`."""
    from prover.chain.vault_proofs import WithdrawStatement

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
