"""Gateway settings (pydantic-settings, env prefix `ZKCREDITS_GATEWAY_`) and the public terms.

`GatewaySettings` holds what `create_app` needs: the vault's immutable parameters (from the gateway
bundle; `zkcredits gateway serve` checks them against the deployed vault at start-up and the
pipeline checks every proof's public inputs against them), the price schedule, vk hashes, and the
operator's limits (environment or `--config` file; see `prover/gateway/config.py`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from prover.chain.param_bounds import root_ttl_problem
from prover.crypto.babyjub import Point
from prover.crypto.rln import service_id as compute_service_id
from prover.gateway.app.config_file import ConfigFileSource
from prover.gateway.app.errors import GatewayConfigError
from prover.pricing.schedule import PriceSchedule
from prover.wire import SCHEME, X402_VERSION
from prover.wire.required import CreditTerms, PaymentRequired, PaymentRequirements, VkHashes


class GatewaySettings(BaseSettings):
    """Everything `create_app` needs besides its collaborators and the signing key."""

    model_config = SettingsConfigDict(
        env_prefix="ZKCREDITS_GATEWAY_", extra="forbid", frozen=True, use_attribute_docstrings=True
    )

    chain_id: int = Field(ge=1, lt=1 << 63)
    """The vault's chain id (a term: from the bundle in `gateway serve`)."""
    vault: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$")
    """The vault's address (a term)."""
    asset: str = Field(default="native", pattern=r"^(native|0x[0-9a-fA-F]{40})$")
    """`native` or the ERC-20 token the vault holds (a term)."""
    unit: int = Field(ge=1, lt=1 << 64)
    """Asset amount of one accounting unit (a term)."""
    c_max: int = Field(ge=1, lt=1 << 64)
    """Largest credit a note may hold, in units (a term)."""
    reserve: int = Field(ge=0, lt=1 << 64)
    """Units a note keeps back for penalties (a term)."""
    penalty_max: int = Field(ge=0, lt=1 << 64)
    """Largest penalty per call, in units (a term)."""
    price_schedule: PriceSchedule
    """The price schedule: JSON, or `@FILE` (a term)."""
    vk_hashes: VkHashes
    """Hashes of the circuits' verifying keys (a term)."""
    root_epoch: int = Field(default=600, ge=1, lt=1 << 32)
    """Seconds between tree checkpoints (a term)."""
    root_ttl: int = Field(default=3600, ge=1, lt=1 << 32)
    """Seconds a checkpoint's root stays accepted after its epoch (a term)."""
    max_timeout_seconds: int = Field(default=300, ge=1, le=3600)
    """Longest upstream call a payment may ask for."""

    # hardening
    max_body_bytes: int = Field(default=1 << 20, ge=0)
    """Largest request body accepted."""
    max_header_bytes: int = Field(default=16 << 10, ge=1024)
    """Largest total request headers accepted."""
    unpaid_rate_per_s: float = Field(default=20.0, gt=0)
    """Rate limit of unpaid requests per client address (token bucket, per second)."""
    unpaid_burst: int = Field(default=40, ge=1)
    """Burst of that token bucket."""
    # exactly-once bookkeeping
    body_cache_seconds: float = Field(default=600.0, ge=0)
    """How long a paid reply is kept to answer a retry of the same ticket."""
    body_cache_bytes: int = Field(default=64 << 20, ge=0)
    """Total size of those kept replies."""
    stale_in_progress_seconds: float = Field(default=900.0, gt=0)
    """After how long a call left in progress (a crash) is settled as failed."""
    yesterday_grace_seconds: int = Field(default=900, ge=0, le=86_400)
    """Seconds after UTC midnight a proof for the previous day is still accepted."""
    # TEE attestation (docs/tee.md)
    attestation_file: Path | None = None
    """The attestation document `zkcredits gateway attest --out` wrote, served free at
    `GET /.well-known/zkcredits/attestation` (re-read when it changes); None: `404 not_attested`."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Init arguments (the gateway bundle) > environment > `--config` file > defaults."""
        return (init_settings, env_settings, ConfigFileSource(settings_cls))

    @field_validator("price_schedule", mode="before")
    @classmethod
    def _schedule_from_json(cls, value: Any) -> Any:
        # From the environment a schedule arrives as JSON text or `@/path/to/schedule.json`.
        if isinstance(value, str):
            text = Path(value[1:]).read_text() if value.startswith("@") else value
            return json.loads(text)
        return value

    @property
    def service_id(self) -> int:
        return compute_service_id(self.chain_id, self.vault)

    @property
    def network(self) -> str:
        return f"eip155:{self.chain_id}"

    def check(self) -> None:
        """Consistency the vault also enforces: c_max matches the schedule, reserve ≥ penalty."""
        if self.price_schedule.c_max != self.c_max:
            raise GatewayConfigError(
                f"price_schedule.c_max {self.price_schedule.c_max} != c_max {self.c_max}",
                field="price_schedule.c_max",
            )
        if self.reserve < self.penalty_max:
            raise GatewayConfigError("reserve must be at least penalty_max", field="reserve")
        if (problem := root_ttl_problem(self.root_epoch, self.root_ttl)) is not None:
            raise GatewayConfigError(problem, field="root_ttl")

    def terms(self, server_pk: Point) -> PaymentRequired:
        """The public terms: the `PAYMENT-REQUIRED` value and `GET /.well-known/zkcredits`."""
        extra = CreditTerms(
            service_id=self.service_id,
            unit=self.unit,
            c_max=self.c_max,
            reserve=self.reserve,
            penalty_max=self.penalty_max,
            server_pk=server_pk,
            price_schedule=self.price_schedule,
            price_schedule_hash=self.price_schedule.schedule_hash(),
            vk_hashes=self.vk_hashes,
            root_epoch=self.root_epoch,
            root_ttl=self.root_ttl,
        )
        offer = PaymentRequirements(
            scheme=SCHEME,
            network=self.network,
            pay_to=self.vault,
            amount=str(self.c_max * self.unit),
            asset=self.asset,
            max_timeout_seconds=self.max_timeout_seconds,
            extra=extra,
        )
        return PaymentRequired(x402_version=X402_VERSION, accepts=(offer,))
