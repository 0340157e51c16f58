"""Errors of the gateway app (`prover/gateway/app/`)."""

from __future__ import annotations

from prover.errors import SettingsValueError, ZkCreditsError


class GatewayAppError(ZkCreditsError):
    """Root of the errors the gateway app raises on purpose (configuration, wiring)."""


class GatewayConfigError(GatewayAppError):
    """A setting is missing or inconsistent (`field` names it)."""


class GatewaySettingError(GatewayConfigError, SettingsValueError):
    """A `ZKCREDITS_GATEWAY_*` variable holds a malformed value (`variable` names it): a
    configuration error of the gateway, and a bad setting (exit status 2) on the command line."""

    def __init__(self, message: str, *, variable: str, field: str) -> None:
        ZkCreditsError.__init__(self, message)
        self.variable = variable
        self.field = field
