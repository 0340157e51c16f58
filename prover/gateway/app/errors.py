"""Errors of the gateway app (`prover/gateway/app/`)."""

from __future__ import annotations

from prover.errors import ZkCreditsError


class GatewayAppError(ZkCreditsError):
    """Root of the errors the gateway app raises on purpose (configuration, wiring)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class GatewayConfigError(GatewayAppError):
    """A setting is missing or inconsistent (`field` names it)."""
