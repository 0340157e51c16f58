"""A provider deployed on a LOCAL chain with the real circuit build (tests, demos; never public).

`deploy_dev_provider` runs the real `prover.chain.deploy.service.deploy` (verifiers from
`contracts/generated/`, keys from `build/keys/`, vault, ERC-8004 registries, agent with a `data:`
registration file) with Anvil's dev account 0 and a chosen server key and gateway URL.
"""

from __future__ import annotations

from pathlib import Path

from prover.chain.deploy.deployment_file import Deployment
from prover.chain.deploy.inputs import DeployConfig
from prover.chain.deploy.service import deploy
from prover.crypto import public_key
from prover.gateway.embedded.app import CHAT_MODEL, EMBED_MODEL
from prover.gateway.policy.rules import default_policy_config
from prover.pricing.schedule import PriceSchedule
from zkcredits_testing.devkeys import anvil_account

DEV_SCHEDULE = PriceSchedule.model_validate(
    {
        "quantum": 10,
        "c_max": 1000,
        "routes": [
            {"method": "POST", "path": "/v1/chat/completions", "kind": "chat",
             "models": {CHAT_MODEL: {"flat": 10, "per_1k_input_tokens": 30,
                                     "per_1k_output_tokens": 60, "max_output_tokens": 256}}},
            {"method": "POST", "path": "/v1/embeddings", "kind": "embeddings",
             "models": {EMBED_MODEL: {"flat": 10, "per_1k_input_tokens": 10, "dimensions": 32,
                                      "max_dimensions": 1024}}},
            {"method": "GET", "path": "/search", "kind": "http", "flat": 10},
        ],
    }
)  # fmt: skip


def dev_config(server_sk: int, gateway_url: str, **overrides: object) -> DeployConfig:
    pk = public_key(server_sk)
    values: dict[str, object] = {
        "asset": "native",
        "unit": 1_000_000_000,
        "c_max": 1000,
        "penalty_max": 2000,
        "reserve": 2000,
        "min_deposit": 10_000,
        "note_ttl_days": 30,
        "exit_grace_days": 7,
        "exit_delay": 2 * 86400,
        "root_epoch": 600,
        "root_ttl": 3600,
        "server_pk": (pk.x, pk.y),
        "treasury": anvil_account(1).address,
        "price_schedule": DEV_SCHEDULE,
        "agent_name": "zkcredits dev provider",
        "agent_description": "local test provider",
        "gateway_url": gateway_url,
        "policy_hash": default_policy_config().policy_hash(),
    }
    values.update(overrides)
    return DeployConfig.model_validate(values)


def deploy_dev_provider(
    rpc_url: str, server_sk: int, gateway_url: str, deployments_dir: Path, **overrides: object
) -> Deployment:
    return deploy(
        rpc_url=rpc_url,
        deployer=anvil_account(0),
        config=dev_config(server_sk, gateway_url, **overrides),
        deployments_dir=deployments_dir,
    )
