"""The public, quantised price schedule the gateway charges by (PROTOCOL §3, §6 step 4)."""

from prover.pricing.schedule import PriceRoute, PriceSchedule, RouteKind, Usage

__all__ = ["PriceRoute", "PriceSchedule", "RouteKind", "Usage"]
