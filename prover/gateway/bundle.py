"""The gateway bundle, `<chainId>.gateway.json`: everything `zkcredits gateway serve` needs.

`zkcredits deploy run` writes it beside `deployments/<chainId>.json`; it holds no secret: the
chain id, an RPC hint, the vault and its asset, every vault parameter (`server_pk`, `c_max`,
`reserve`, `penalty_max`, `unit`, root epoch and ttl, …), the price schedule, the vk hashes, the
block the vault was created in (where the gateway's mirror starts) and the registered agent.
The RPC hint is recorded only when it cannot carry a credential: a loopback URL, or the URL the
deployer passed explicitly with `--gateway-rpc-url` (hosted RPC URLs often embed an API key).

`serve --deployment` also takes the deployment file itself (the bundle is derived from it, with
no RPC hint).
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from prover.chain.deploy.deployment_file import Deployment
from prover.chain.registration import KeyFiles, RegisteredParams
from prover.circuits.manifest import SetupKind
from prover.crypto.rln import service_id as compute_service_id
from prover.gateway.app.errors import GatewayConfigError
from prover.plumbing.atomic import atomic_write_text
from prover.pricing.schedule import PriceSchedule
from prover.wire.fields import FieldElement
from prover.wire.required import VkHashes

BUNDLE_FORMAT: Final = "zkcredits-gateway-v1"
TERM_FIELDS: Final = frozenset(
    {
        "chain_id", "vault", "asset", "unit", "c_max", "reserve", "penalty_max",
        "price_schedule", "vk_hashes", "root_epoch", "root_ttl",
    }
)  # fmt: skip
"""The `GatewaySettings` fields a bundle sets (`GatewayBundle.terms()`)."""


class GatewayBundle(BaseModel):
    """The content of `<chainId>.gateway.json`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["zkcredits-gateway-v1"] = BUNDLE_FORMAT
    chain_id: int = Field(ge=1, lt=1 << 63)
    rpc_url: str | None = Field(default=None, pattern=r"^https?://")
    vault: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$")
    vault_contract: Literal["EthCreditVault", "TokenCreditVault"]
    asset: str = Field(pattern=r"^(native|0x[0-9a-fA-F]{40})$")
    service_id: FieldElement
    start_block: int = Field(ge=0)
    setup: SetupKind
    params: RegisteredParams
    price_schedule: PriceSchedule
    vk_hashes: VkHashes
    agent_id: int | None = Field(default=None, ge=0)
    identity_registry: str | None = Field(default=None, pattern=r"^0x[0-9a-fA-F]{40}$")
    keys: KeyFiles | None = None
    """The proving keys and circuit files the registration publishes, with their sha256: the
    gateway serves exactly these (it refuses to start if its files differ)."""

    @model_validator(mode="after")
    def _consistent(self) -> GatewayBundle:
        if self.service_id != compute_service_id(self.chain_id, self.vault):
            raise ValueError("service_id is not the §2 value of chain_id and vault")
        if self.price_schedule.schedule_hash() != self.params.price_schedule_hash:
            raise ValueError("price_schedule does not hash to params.price_schedule_hash")
        return self

    def terms(self) -> dict[str, Any]:
        """The vault fields of `GatewaySettings` (the rest are the operator's limits)."""
        p = self.params
        return {
            "chain_id": self.chain_id,
            "vault": self.vault,
            "asset": self.asset,
            "unit": int(p.unit),
            "c_max": int(p.c_max),
            "reserve": int(p.reserve),
            "penalty_max": int(p.penalty_max),
            "price_schedule": self.price_schedule,
            "vk_hashes": self.vk_hashes,
            "root_epoch": int(p.root_epoch),
            "root_ttl": int(p.root_ttl),
        }


def bundle_path(deployment_file: Path) -> Path:
    """`deployments/<chainId>.json` → `deployments/<chainId>.gateway.json`."""
    return deployment_file.with_name(deployment_file.name.removesuffix(".json") + ".gateway.json")


def credential_free(url: str) -> bool:
    """True for a URL that cannot carry a credential: http(s) on a loopback host, no user info,
    no query string."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.username or parts.password or parts.query:
        return False
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_rpc_hint(url: str | None) -> None:
    """`--gateway-rpc-url` must be an http(s) URL (checked before anything is deployed)."""
    if url is not None and urlsplit(url).scheme not in ("http", "https"):
        raise GatewayConfigError(
            f"gateway_rpc_url: must be http(s)://…, got {url!r}", field="gateway_rpc_url"
        )


def bundle_from_deployment(deployment: Deployment, rpc_url: str | None = None) -> GatewayBundle:
    vault_record = deployment.contracts.get(deployment.vault_contract)
    start = 0 if vault_record is None else vault_record.block_number or 0
    return GatewayBundle(
        chain_id=deployment.chain_id,
        rpc_url=rpc_url,
        vault=deployment.vault,
        vault_contract=deployment.vault_contract,
        asset=deployment.asset,
        service_id=deployment.service_id,
        start_block=start,
        setup=deployment.setup,
        params=deployment.params,
        price_schedule=deployment.price_schedule,
        vk_hashes=deployment.vk_hashes,
        agent_id=deployment.agent.agent_id,
        identity_registry=deployment.registries.identity,
        keys=deployment.keys,
    )


def write_gateway_bundle(
    deployment: Deployment,
    deployment_file: Path,
    *,
    deploy_rpc_url: str,
    gateway_rpc_url: str | None = None,
) -> Path:
    """Write the bundle beside `deployment_file` (atomically); returns its path.

    The RPC hint is `gateway_rpc_url` if given, else `deploy_rpc_url` if `credential_free`,
    else none (the gateway then needs `--rpc-url`)."""
    check_rpc_hint(gateway_rpc_url)
    hint = gateway_rpc_url
    if hint is None and credential_free(deploy_rpc_url):
        hint = deploy_rpc_url
    bundle = bundle_from_deployment(deployment, hint)
    path = bundle_path(deployment_file)
    atomic_write_text(path, bundle.model_dump_json(indent=2) + "\n")
    return path


def _first_error(exc: ValidationError) -> tuple[str, str]:
    error = exc.errors()[0]
    loc = ".".join(str(part) for part in error["loc"])
    return loc, str(error["msg"]).removeprefix("Value error, ")


def read_gateway_bundle(path: Path) -> GatewayBundle:
    """A bundle, or a deployment file (the bundle derived from it); one-line errors."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise GatewayConfigError(
            f"deployment: no file at {path} (`zkcredits deploy run` writes "
            "deployments/<chainId>.gateway.json)",
            field="deployment",
        ) from exc
    except OSError as exc:
        raise GatewayConfigError(
            f"deployment: cannot read {path}: {exc.strerror}", field="deployment"
        ) from exc
    except ValueError as exc:
        raise GatewayConfigError(
            f"deployment: {path} is not JSON ({exc})", field="deployment"
        ) from exc
    if not isinstance(data, dict):
        raise GatewayConfigError(f"deployment: {path} is not a JSON object", field="deployment")
    try:
        if data.get("format") == "zkcredits-deployment-v1":
            return bundle_from_deployment(Deployment.model_validate(data))
        return GatewayBundle.model_validate(data)
    except ValidationError as exc:
        loc, msg = _first_error(exc)
        where = f"{loc}: " if loc else ""
        raise GatewayConfigError(
            f"deployment: {path}: {where}{msg}", field=f"deployment.{loc}".rstrip(".")
        ) from exc
