"""`deployments/<chainId>.json`: everything a gateway or client needs about one deployment."""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from prover.chain.deploy.errors import DeployError
from prover.chain.erc8004 import RegistryAddresses
from prover.chain.registration import KeyFiles, RegisteredParams
from prover.circuits.manifest import SetupKind
from prover.plumbing.atomic import atomic_write_text
from prover.pricing.schedule import PriceSchedule
from prover.wire.fields import FieldElement
from prover.wire.required import VkHashes

DEPLOYMENTS_DIR: Final = Path("deployments")
"""Default directory of deployment files: `deployments/` under the working directory (the CLI's
`--deployments-dir`-style options override it); never the source tree."""


class ContractRecord(BaseModel):
    """One contract of the deployment; a reused contract has no creation transaction here."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    address: str
    tx_hash: str | None = None
    block_number: int | None = None
    gas_used: int | None = None
    reused: bool = False


class TxRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tx_hash: str
    block_number: int
    gas_used: int


class AgentRecord(BaseModel):
    """The provider as an ERC-8004 agent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    agent_id: int
    agent_registry: str
    owner: str
    agent_wallet: str
    agent_uri: str
    register_tx: TxRecord
    set_uri_tx: TxRecord
    set_wallet_tx: TxRecord


class Deployment(BaseModel):
    """The content of `deployments/<chainId>.json`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["zkcredits-deployment-v1"] = "zkcredits-deployment-v1"
    chain_id: int
    deployer: str
    deployed_at: int
    """Unix time of the block that registered the agent."""
    setup: SetupKind
    vault: str
    vault_contract: Literal["EthCreditVault", "TokenCreditVault"]
    asset: str
    service_id: FieldElement
    params: RegisteredParams
    price_schedule: PriceSchedule
    vk_hashes: VkHashes
    registries: RegistryAddresses
    contracts: dict[str, ContractRecord]
    agent: AgentRecord
    keys: KeyFiles | None = None
    """The proving keys and circuit files the registration publishes (served by the gateway)."""


def deployment_path(chain_id: int, directory: Path = DEPLOYMENTS_DIR) -> Path:
    return directory / f"{chain_id}.json"


def write_deployment(deployment: Deployment, directory: Path = DEPLOYMENTS_DIR) -> Path:
    """Write `<directory>/<chainId>.json` atomically (temp file, fsync, rename)."""
    path = deployment_path(deployment.chain_id, directory)
    atomic_write_text(path, deployment.model_dump_json(indent=2) + "\n")
    return path


def read_deployment(path: Path) -> Deployment:
    if not path.is_file():
        raise DeployError(f"no deployment file at {path}", field="deployment")
    try:
        return Deployment.model_validate_json(path.read_text())
    except ValidationError as exc:
        raise DeployError(f"{path} is not a valid deployment: {exc}", field="deployment") from exc
