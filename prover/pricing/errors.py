"""Errors of the pricing package (root: `PricingError`)."""

from __future__ import annotations

from enum import StrEnum

from prover.errors import ZkCreditsError


class Refusal(StrEnum):
    """Why the pre-flight refuses a request; each maps to one wire error code (D8)."""

    BAD_REQUEST = "bad_request"  # malformed, or a rule of the route broken
    UNKNOWN_MODEL = "unknown_model"  # the schedule does not sell this model on this route
    COST_EXCEEDS_C_MAX = "cost_exceeds_c_max"  # the worst-case price is above c_max
    REPLY_TOO_LARGE = "reply_too_large"  # the largest reply it can cause is above the limit


class PricingError(ZkCreditsError):
    """Root of the pricing package's errors. `field` names the offending input when known."""


class PreflightRefused(PricingError):
    """The pre-flight refuses the request: nothing may be reserved, bound or forwarded."""

    def __init__(self, reason: Refusal, message: str, *, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.reason = reason
