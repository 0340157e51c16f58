"""The public, quantised price schedule the gateway charges by (PROTOCOL §3, §6 step 4), and the
pre-flight both sides run on a request before any ticket is used (`preflight`)."""

from prover.pricing.errors import PreflightRefused, PricingError, Refusal
from prover.pricing.schedule import ModelPrice, PriceRoute, PriceSchedule, RouteKind, Usage

__all__ = [
    "ModelPrice",
    "PreflightRefused",
    "PriceRoute",
    "PriceSchedule",
    "PricingError",
    "Refusal",
    "RouteKind",
    "Usage",
]
