"""Errors of the toolchain layer (installed tools, compilers, the local chain)."""

from prover.errors import ZkCreditsError


class ToolchainError(ZkCreditsError):
    """A required tool is missing, failed, or a local chain could not be started."""


class TorControlError(ToolchainError):
    """The control port refused a command, closed, or answered in an unexpected shape."""


class PostgresStartError(ToolchainError):
    """The server could not be initialised or did not start; the message ends with its log tail."""


class TorStartError(ToolchainError):
    """The private Tor network could not be set up or did not bootstrap; carries log tails."""
