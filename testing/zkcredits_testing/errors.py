"""Errors of the testing package's launchers (PostgreSQL, a private Tor network)."""

from __future__ import annotations

from prover.toolchain.errors import ToolchainError


class TorControlError(ToolchainError):
    """The control port refused a command, closed, or answered in an unexpected shape."""


class PostgresStartError(ToolchainError):
    """The server could not be initialised or did not start; the message ends with its log tail."""


class TorStartError(ToolchainError):
    """The private Tor network could not be set up or did not bootstrap; carries log tails."""
