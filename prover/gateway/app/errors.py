"""Errors of the gateway app (`prover/gateway/app/`)."""

from __future__ import annotations

from prover.errors import ZkCreditsError


class GatewayAppError(ZkCreditsError):
    """Root of the errors the gateway app raises on purpose (configuration, wiring)."""


class GatewayConfigError(GatewayAppError):
    """A setting is missing or inconsistent (`field` names it)."""
