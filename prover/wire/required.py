"""`PAYMENT-REQUIRED`: what a 402 reply offers (x402 version 2, scheme `zk-rln-credit`)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from prover.pricing.schedule import PriceSchedule
from prover.wire.fields import Amount, FieldElement, Hash32
from prover.wire.points import WirePoint

_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


class VkHashes(BaseModel):
    """Hashes of the verifying keys of the three circuits (pinned in the vault)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    request: Hash32
    withdraw: Hash32
    slash: Hash32


class CreditTerms(BaseModel):
    """`extra` of the offer: everything a client checks against the vault before paying."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    service_id: FieldElement
    unit: Amount
    c_max: Amount
    reserve: Amount
    penalty_max: Amount
    server_pk: WirePoint
    price_schedule: PriceSchedule
    price_schedule_hash: Hash32
    vk_hashes: VkHashes
    root_epoch: int = Field(ge=1, lt=1 << 32)
    root_ttl: int = Field(ge=1, lt=1 << 32)


class PaymentRequirements(BaseModel):
    """One accepted way to pay (x402 `accepts[]` entry)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    scheme: Literal["zk-rln-credit"]
    network: str = Field(pattern=r"^eip155:[1-9][0-9]{0,18}$")
    pay_to: str = Field(alias="payTo")
    amount: str = Field(pattern=r"^(0|[1-9][0-9]{0,77})$")  # c_max·unit in token base units
    asset: str = Field(pattern=r"^(native|0x[0-9a-fA-F]{40})$")
    max_timeout_seconds: int = Field(alias="maxTimeoutSeconds", ge=1, le=3600)
    extra: CreditTerms

    @field_validator("pay_to")
    @classmethod
    def _address(cls, value: str) -> str:
        if not _ADDRESS.match(value):
            raise ValueError("payTo must be a 0x-prefixed 20-byte address")
        return value

    @property
    def chain_id(self) -> int:
        return int(self.network.split(":", 1)[1])


class PaymentRequired(BaseModel):
    """The decoded `PAYMENT-REQUIRED` header."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    x402_version: Literal[2] = Field(alias="x402Version")
    accepts: tuple[PaymentRequirements, ...] = Field(min_length=1, max_length=4)
