"""A price schedule: per-route prices, quantised costs, a hash the vault pins.

Every cost is a multiple of `quantum` (so a cost reveals at most a coarse usage bucket) and never
exceeds `c_max`: the gateway caps upstream work (`max_output_tokens`) so that the cap holds.
"""

from __future__ import annotations

import json
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from prover.crypto.rln import keccak256


class RouteKind(StrEnum):
    CHAT = "chat"  # OpenAI-compatible chat completions: priced by tokens
    EMBEDDINGS = "embeddings"  # priced by input tokens
    HTTP = "http"  # any other API: flat price per call


class Usage(BaseModel):
    """What one call consumed, as the upstream reported it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)


class PriceRoute(BaseModel):
    """The price of one route (method + path prefix)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: str = Field(pattern=r"^[A-Z]{3,7}$")
    path: str = Field(pattern=r"^/[A-Za-z0-9/_\-.]*$")
    kind: RouteKind
    flat: int = Field(default=0, ge=0, lt=1 << 64)
    per_1k_input_tokens: int = Field(default=0, ge=0, lt=1 << 64)
    per_1k_output_tokens: int = Field(default=0, ge=0, lt=1 << 64)
    max_output_tokens: int = Field(default=0, ge=0, lt=1 << 32)

    def raw_cost(self, usage: Usage) -> int:
        """Cost in accounting units before quantisation (token prices round up per call)."""
        tokens = usage.input_tokens * self.per_1k_input_tokens
        tokens += usage.output_tokens * self.per_1k_output_tokens
        return self.flat + -(-tokens // 1000)


class PriceSchedule(BaseModel):
    """The schedule a gateway publishes; `schedule_hash()` is pinned in the vault."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(default=1, ge=1)
    quantum: int = Field(ge=1, lt=1 << 64)
    c_max: int = Field(ge=1, lt=1 << 64)
    routes: tuple[PriceRoute, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> PriceSchedule:
        if self.c_max % self.quantum:
            raise ValueError("c_max must be a multiple of quantum")
        seen = {(r.method, r.path) for r in self.routes}
        if len(seen) != len(self.routes):
            raise ValueError("two routes share a method and path")
        for route in self.routes:
            if route.kind is RouteKind.CHAT and route.max_output_tokens == 0:
                raise ValueError(f"chat route {route.path} needs max_output_tokens")
            worst = route.raw_cost(Usage(output_tokens=route.max_output_tokens))
            if route.kind is not RouteKind.CHAT and worst > self.c_max:
                raise ValueError(f"route {route.path} costs more than c_max")
        return self

    def route_for(self, method: str, path: str) -> PriceRoute | None:
        """The route with the longest matching path prefix, or None if the call is not sold."""
        matches = [
            r for r in self.routes if r.method == method and path.split("?")[0].startswith(r.path)
        ]
        return max(matches, key=lambda r: len(r.path), default=None)

    def cost(self, route: PriceRoute, usage: Usage) -> int:
        """Quantised cost of a call: rounded up to `quantum`, never above `c_max`."""
        raw = route.raw_cost(usage)
        return min(self.c_max, -(-raw // self.quantum) * self.quantum)

    def is_valid_cost(self, cost: int) -> bool:
        """What a client checks on a reply: a multiple of `quantum` in [0, c_max]."""
        return 0 <= cost <= self.c_max and cost % self.quantum == 0

    def canonical_json(self) -> bytes:
        """Sorted keys, no spaces: the bytes the schedule hash is taken over."""
        return json.dumps(
            self.model_dump(mode="json"), sort_keys=True, separators=(",", ":")
        ).encode()

    def schedule_hash(self) -> bytes:
        """keccak256 of `canonical_json()`; the vault's `price_schedule_hash`."""
        return keccak256(self.canonical_json())
