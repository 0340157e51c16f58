"""Fixtures of the chain-mirror and watcher/slasher tests: a real Anvil, the real vault deployed by
`prover.chain.deploy.service.deploy` with the real verifiers of `zkcredits circuits build`
(built once per
session here, cached by source and r1cs hash), and a `DevNet` helper per test (snapshot before,
revert after, so tests stay independent). `tests/prover/gateway/chain/conftest.py` loads this
file too.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from web3 import Web3
from zkcredits_testing.devchain import DevChain
from zkcredits_testing.devkeys import anvil_account

from prover.chain.deploy.deployment_file import Deployment
from prover.chain.deploy.inputs import DeployConfig, read_build
from prover.chain.deploy.service import deploy
from prover.chain.mirror import Finality, VaultMirror
from prover.chain.tx import Receipt
from prover.chain.tx import deploy as deploy_contract
from prover.chain.vault import CreditVaultClient, deploy_eth_vault, deploy_libraries
from prover.chain.vault_params import VaultParams
from prover.circuits.artifacts import GENERATED_DIR, KEYS_DIR
from prover.circuits.build import BuildDirs, CircuitBuild, build_all
from prover.crypto.eddsa import public_key
from prover.crypto.field import P
from prover.crypto.rln import note_id
from prover.pricing.schedule import PriceSchedule
from prover.toolchain.anvil import ChainInfo
from prover.toolchain.artifact_build import build_artifacts

SERVER_SECRET = 0x1D2C3B4A59687766554433221100FFEEDDCCBBAA99887766554433221100FF
ROOT_EPOCH = 600
ROOT_TTL = 3600
DEPOSIT_UNITS = 20_000
TREASURY_INDEX = 8
SLASHER_INDEX = 6
USER_INDEX = 3


def random_secret() -> int:
    return secrets.randbelow(P - 1) + 1


def deploy_config() -> DeployConfig:
    pk = public_key(SERVER_SECRET)
    schedule = PriceSchedule.model_validate(
        {
            "quantum": 10,
            "c_max": 1000,
            "routes": [
                {
                    "method": "POST",
                    "path": "/v1/embeddings",
                    "kind": "embeddings",
                    "models": {
                        "m": {"per_1k_input_tokens": 2, "dimensions": 8, "max_dimensions": 8}
                    },
                }
            ],
        }
    )
    return DeployConfig.model_validate(
        {
            "unit": 10**9,
            "c_max": 1000,
            "penalty_max": 5000,
            "reserve": 5000,
            "min_deposit": 10_000,
            "note_ttl_days": 30,
            "exit_grace_days": 7,
            "exit_delay": 2 * 86400,
            "root_epoch": ROOT_EPOCH,
            "root_ttl": ROOT_TTL,
            "server_pk": (pk.x, pk.y),
            "treasury": anvil_account(TREASURY_INDEX).address,
            "price_schedule": schedule,
            "agent_name": "Mirror test provider",
            "agent_description": "chain sync and watcher tests",
            "gateway_url": "https://gateway.test/",
        }
    )


@pytest.fixture(scope="session")
def circuits_built() -> list[CircuitBuild]:
    """`zkcredits circuits build` for the three circuits (cached: a no-op when up to date), then
    the package's artifacts (dev verifiers, wasm, vks; a no-op when current)."""
    built = build_all(["request", "withdraw", "slash"], BuildDirs())
    build_artifacts()
    return built


@pytest.fixture(scope="session")
def deployment(
    anvil: ChainInfo, circuits_built: list[CircuitBuild], tmp_path_factory: pytest.TempPathFactory
) -> Deployment:
    """The whole service deployed once per session by `prover.chain.deploy.service.deploy`."""
    return deploy(
        rpc_url=anvil.rpc_url,
        deployer=anvil_account(0),
        config=deploy_config(),
        deployments_dir=tmp_path_factory.mktemp("deployments"),
    )


@dataclass
class DevNet:
    """One test's view of the session chain (reverted after the test)."""

    w3: Web3
    dev: DevChain
    deployment: Deployment
    tmp: Path

    @property
    def main_vault(self) -> CreditVaultClient:
        """The vault `deploy()` made (shared by the session: use `fresh_vault` to mutate)."""
        return CreditVaultClient(self.w3, self.deployment.vault)

    def fresh_vault(self) -> CreditVaultClient:
        """A new vault with the deployment's parameters, verifiers and Poseidon libraries."""
        params = self.main_vault.params()
        libraries: dict[str, str] = {
            name: self.deployment.contracts[name].address
            for name in ("PoseidonT3", "PoseidonT5")
            if name in self.deployment.contracts
        }
        return deploy_eth_vault(
            self.w3, params, sender=self.w3.eth.accounts[0], libraries=libraries or None
        )

    @property
    def user(self) -> str:
        return anvil_account(USER_INDEX).address

    @property
    def treasury(self) -> str:
        return anvil_account(TREASURY_INDEX).address

    def deposit(self, vault: CreditVaultClient, k: int, units: int = DEPOSIT_UNITS) -> Receipt:
        return vault.deposit(note_id(k), units * vault.params().unit, sender=self.user)

    def mine(self, blocks: int = 1) -> None:
        for _ in range(blocks):
            self.dev._rpc("evm_mine", [])

    def timestamp(self) -> int:
        return self.dev.timestamp()

    def next_epoch(self, offset: int = 0) -> int:
        """Mine a block stamped `offset` seconds after the next epoch boundary; returns it."""
        boundary = (self.timestamp() // ROOT_EPOCH + 1) * ROOT_EPOCH
        return self.dev.advance_to(boundary + offset)

    def open_mirror(
        self,
        vault: CreditVaultClient,
        name: str = "mirror.sqlite",
        confirmations: int = 2,
        **kwargs: object,
    ) -> VaultMirror:
        return VaultMirror(
            self.w3,
            vault.address,
            self.tmp / name,
            finality=Finality.after(confirmations),
            **kwargs,  # type: ignore[arg-type]
        )

    def settle(self, mirror: VaultMirror) -> None:
        """Make everything mined so far final for `mirror`, then sync it."""
        self.mine(max(mirror.finality.confirmations, 0))
        mirror.sync()


@pytest.fixture
def net(w3: Web3, deployment: Deployment, tmp_path: Path) -> Iterator[DevNet]:
    dev = DevChain(w3)
    snapshot = dev.snapshot()
    try:
        yield DevNet(w3, dev, deployment, tmp_path)
    finally:
        dev.revert(snapshot)


@pytest.fixture
def secret() -> Callable[[], int]:
    return random_secret


def standalone_vault(w3: Web3) -> CreditVaultClient:
    """Deploy the built verifiers, the Poseidon libraries and a vault (the session deployment's
    parameters) on any chain, in a fixed order: the same addresses on every fresh Anvil."""
    build = read_build(GENERATED_DIR, KEYS_DIR)
    sender = w3.eth.accounts[0]
    addresses = {}
    for circuit, verifier in build.verifiers.items():
        receipt = deploy_contract(
            w3, sender=sender, abi=verifier.abi, bytecode=verifier.bytecode, context=circuit
        )
        addresses[circuit] = str(receipt.contract_address)
    c = deploy_config()
    params = VaultParams(
        unit=c.unit, c_max=c.c_max, penalty_max=c.penalty_max, reserve=c.reserve,
        min_deposit=c.min_deposit, note_ttl_days=c.note_ttl_days,
        exit_grace_days=c.exit_grace_days, exit_delay=c.exit_delay, root_epoch=c.root_epoch,
        root_ttl=c.root_ttl, server_pk_x=c.server_pk[0], server_pk_y=c.server_pk[1],
        price_schedule_hash="0x" + c.price_schedule.schedule_hash().hex(),
        treasury=c.treasury, withdraw_verifier=addresses["withdraw"],
        slash_verifier=addresses["slash"], withdraw_vk_hash="0x" + build.vk_hashes.withdraw.hex(),
        slash_vk_hash="0x" + build.vk_hashes.slash.hex(), max_depth=c.max_depth,
    )  # fmt: skip
    return deploy_eth_vault(w3, params, sender=sender, libraries=deploy_libraries(w3, sender))


@pytest.fixture(scope="session")
def deploy_standalone(circuits_built: list[CircuitBuild]) -> Callable[[Web3], CreditVaultClient]:
    return standalone_vault
