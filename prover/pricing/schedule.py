"""A price schedule: per-route, per-model prices, quantised costs, a hash the vault pins (D9).

Every cost is a multiple of `quantum` (so a cost reveals at most a coarse usage bucket) and never
exceeds `c_max`. Chat and embeddings routes price each model they sell (`models`); a request for
a model the schedule does not list is refused before any ticket is reserved. Plain HTTP routes
have one flat price. `max_reply_bytes` is the largest reply the gateway relays: it is part of the
public terms because a request whose reply could exceed it is refused before reservation
(`prover.pricing.preflight`).
"""

from __future__ import annotations

import json
import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from prover.crypto.rln import keccak256

SCHEDULE_VERSION = 2
DEFAULT_MAX_REPLY_BYTES = 8 << 20
MODELS_PATH = "/v1/models"
"""Served free and unpaid by the gateway (the list of models the schedule sells): never a route."""

_MODEL = r"^[\x21-\x7e]{1,128}$"


class RouteKind(StrEnum):
    CHAT = "chat"  # OpenAI-compatible chat completions: priced by tokens, per model
    EMBEDDINGS = "embeddings"  # priced by input tokens, per model
    HTTP = "http"  # any other API: flat price per call


class Usage(BaseModel):
    """What one call consumed, as the upstream reported it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)


class ModelPrice(BaseModel):
    """The price of one model on a route (or a plain HTTP route's flat price).

    `max_output_tokens` (chat) is the most output one call may ask for; `dimensions` /
    `max_dimensions` (embeddings) are the vector length when a request names none and the
    largest it may name. `request_overhead_tokens` and `message_overhead_tokens` are what the
    model's prompt template adds beyond the request's own text (the pre-flight input bound).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    flat: int = Field(default=0, ge=0, lt=1 << 64)
    per_1k_input_tokens: int = Field(default=0, ge=0, lt=1 << 64)
    per_1k_output_tokens: int = Field(default=0, ge=0, lt=1 << 64)
    max_output_tokens: int = Field(default=0, ge=0, lt=1 << 32)
    dimensions: int = Field(default=0, ge=0, lt=1 << 20)
    max_dimensions: int = Field(default=0, ge=0, lt=1 << 20)
    request_overhead_tokens: int = Field(default=16, ge=0, lt=1 << 20)
    message_overhead_tokens: int = Field(default=8, ge=0, lt=1 << 20)

    def raw_cost(self, usage: Usage) -> int:
        """Cost in accounting units before quantisation (token prices round up per call)."""
        tokens = usage.input_tokens * self.per_1k_input_tokens
        tokens += usage.output_tokens * self.per_1k_output_tokens
        return self.flat + -(-tokens // 1000)


class PriceRoute(BaseModel):
    """One sold route: method + path (chat/embeddings: exact path; http: path prefix)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: str = Field(pattern=r"^[A-Z]{3,7}$")
    path: str = Field(pattern=r"^/[A-Za-z0-9/_\-.]*$")
    kind: RouteKind
    flat: int = Field(default=0, ge=0, lt=1 << 64)  # http routes only
    models: dict[str, ModelPrice] = Field(default_factory=dict)  # chat / embeddings only

    @model_validator(mode="after")
    def _check(self) -> PriceRoute:
        if self.kind is RouteKind.HTTP:
            if self.models:
                raise ValueError(f"http route {self.path} has one flat price, not models")
            return self
        if self.flat:
            raise ValueError(f"{self.kind.value} route {self.path} prices per model, not flat")
        if not self.models:
            raise ValueError(f"{self.kind.value} route {self.path} lists no model")
        for name, price in self.models.items():
            if not _valid_model(name):
                raise ValueError(f"model name {name!r} must be 1..128 visible ASCII characters")
            if self.kind is RouteKind.CHAT and price.max_output_tokens < 1:
                raise ValueError(f"chat model {name} needs max_output_tokens")
            if self.kind is RouteKind.EMBEDDINGS and price.dimensions < 1:
                raise ValueError(f"embeddings model {name} needs dimensions")
            if self.kind is RouteKind.EMBEDDINGS and price.max_dimensions < price.dimensions:
                raise ValueError(f"embeddings model {name}: max_dimensions < dimensions")
        return self

    def matches(self, method: str, path: str) -> bool:
        bare = path.split("?")[0]
        if method != self.method:
            return False
        if self.kind is RouteKind.HTTP:
            return bare.startswith(self.path)
        return bare == self.path

    def price(self, model: str | None) -> ModelPrice | None:
        """The price of `model` on this route (http routes: the flat price, model ignored)."""
        if self.kind is RouteKind.HTTP:
            return ModelPrice(flat=self.flat)
        return None if model is None else self.models.get(model)


def _valid_model(name: str) -> bool:
    return re.fullmatch(_MODEL, name) is not None


class PriceSchedule(BaseModel):
    """The schedule a gateway publishes; `schedule_hash()` is pinned in the vault."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(default=SCHEDULE_VERSION, ge=SCHEDULE_VERSION, le=SCHEDULE_VERSION)
    quantum: int = Field(ge=1, lt=1 << 64)
    c_max: int = Field(ge=1, lt=1 << 64)
    max_reply_bytes: int = Field(default=DEFAULT_MAX_REPLY_BYTES, ge=1024, lt=1 << 32)
    routes: tuple[PriceRoute, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> PriceSchedule:
        if self.c_max % self.quantum:
            raise ValueError("c_max must be a multiple of quantum")
        seen = {(r.method, r.path) for r in self.routes}
        if len(seen) != len(self.routes):
            raise ValueError("two routes share a method and path")
        for route in self.routes:
            if route.matches("GET", MODELS_PATH) or (
                route.method == "GET" and route.path.startswith(MODELS_PATH)
            ):
                raise ValueError(f"{MODELS_PATH} is served free by the gateway; it is not sold")
            if route.kind is RouteKind.HTTP and route.flat > self.c_max:
                raise ValueError(f"route {route.path} costs more than c_max")
            for name, price in route.models.items():
                if price.flat > self.c_max:
                    raise ValueError(f"model {name} on {route.path}: flat price above c_max")
        return self

    def route_for(self, method: str, path: str) -> PriceRoute | None:
        """The route with the longest matching path, or None if the call is not sold."""
        matches = [r for r in self.routes if r.matches(method, path)]
        return max(matches, key=lambda r: len(r.path), default=None)

    def models(self) -> list[str]:
        """Every model some route sells, in schedule order, once each."""
        return list(dict.fromkeys(name for r in self.routes for name in r.models))

    def quantise(self, raw: int) -> int:
        """Rounded up to `quantum`, never above `c_max`."""
        return min(self.c_max, -(-raw // self.quantum) * self.quantum)

    def cost(self, price: ModelPrice, usage: Usage) -> int:
        """Quantised cost of a call: rounded up to `quantum`, never above `c_max`."""
        return self.quantise(price.raw_cost(usage))

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
