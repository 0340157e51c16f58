"""The prover service's settings beside the wallet: the proxy's bearer token and pinned providers.

`<wallet>.client.json` (mode 0600, written atomically) holds no secret of any note: the bearer
token of the local proxy (generated at `init`), the chain RPC URL, and for each provider the
values checked against its vault at discovery (`ProviderPin`). Amounts and field elements use the
wire conventions of D8.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from prover.attest.registration import TeeRegistration
from prover.chain import param_bounds as bounds
from prover.chain.registration import KeyFiles
from prover.circuits.manifest import DEV_SETUP, SetupKind
from prover.client.errors import ProfileError
from prover.client.wallet import ServiceParams
from prover.plumbing.atomic import atomic_write_bytes
from prover.pricing.schedule import PriceSchedule
from prover.wire.fields import Amount
from prover.wire.required import VkHashes

Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$")]


class ProviderPin(BaseModel):
    """Everything pinned about one provider: its vault's values, checked on chain at discovery."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    agent_id: int = Field(ge=0)
    identity_registry: Address
    gateway_url: str = Field(pattern=r"^https?://")
    service: ServiceParams
    asset: str = Field(pattern=r"^(native|0x[0-9a-fA-F]{40})$")
    min_deposit: Amount
    note_ttl_days: bounds.NoteTtlDays
    exit_grace_days: bounds.ExitGraceDays
    exit_delay: Annotated[Amount, Field(ge=bounds.MIN_EXIT_DELAY, le=bounds.MAX_EXIT_DELAY)]
    root_epoch: Annotated[Amount, Field(gt=0, le=bounds.MAX_ROOT_EPOCH)]
    root_ttl: Annotated[Amount, Field(gt=0, le=bounds.MAX_ROOT_TTL)]
    max_depth: bounds.MaxDepth
    price_schedule: PriceSchedule
    vk_hashes: VkHashes
    setup: SetupKind = DEV_SETUP
    """The registration's setup kind (only a multi-party ceremony off local chains)."""
    keys: KeyFiles | None = None
    """Where the provider publishes its proving keys (`prover.client.keyring` fetches them)."""
    tee: TeeRegistration | None = None
    """The registration's TEE pins (gateway key, measured images); None: not attested."""
    tee_required: bool = False
    """Pinned with `--require-tee`: the prover service verifies the attestation before paying."""
    tee_quote_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    """The quote verified when the provider was pinned (a different one is appraised again)."""

    _root_ttl = field_validator("root_ttl")(bounds.check_root_ttl)

    @property
    def key(self) -> str:
        return str(self.service.service_id)


def new_token() -> str:
    """A fresh bearer token for the local proxy (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


class ClientProfile(BaseModel):
    """Contents of `<wallet>.client.json`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: int = Field(default=1, ge=1, le=1)
    token: str = Field(min_length=32)
    rpc_url: str | None = None
    providers: dict[str, ProviderPin] = Field(default_factory=dict)

    def with_provider(self, pin: ProviderPin) -> ClientProfile:
        providers = dict(self.providers)
        providers[pin.key] = pin
        return self.model_copy(update={"providers": providers})

    def provider(self, service_id: int | None = None) -> ProviderPin:
        """The pinned provider with this service id (or the only one when None)."""
        if service_id is None:
            if len(self.providers) != 1:
                raise ProfileError(
                    f"{len(self.providers)} providers are pinned: name one with --service-id",
                    field="service_id",
                )
            return next(iter(self.providers.values()))
        pin = self.providers.get(str(service_id))
        if pin is None:
            raise ProfileError(
                f"no provider with service id {service_id} is pinned", field="service_id"
            )
        return pin


def profile_path(wallet_path: Path) -> Path:
    return wallet_path.with_name(wallet_path.name + ".client.json")


def load_profile(wallet_path: Path) -> ClientProfile:
    path = profile_path(wallet_path)
    if not path.is_file():
        raise ProfileError(
            f"no client profile at {path}: run `zkcredits client init`", field="path"
        )
    try:
        return ClientProfile.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(root)"
        raise ProfileError(f"{path} is malformed at {where}: {first['msg']}", field=where) from exc


def save_profile(wallet_path: Path, profile: ClientProfile) -> Path:
    """Write the profile atomically (temp file 0600 + fsync + rename + directory fsync)."""
    path = profile_path(wallet_path)
    atomic_write_bytes(path, profile.model_dump_json(indent=2).encode() + b"\n", mode=0o600)
    return path
