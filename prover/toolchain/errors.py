"""Errors of the toolchain layer (installed tools, compilers, the local chain)."""

from prover.errors import ZkCreditsError


class ToolchainError(ZkCreditsError):
    """A required tool is missing, failed, or a local chain could not be started."""


class CheckoutRequiredError(ToolchainError):
    """A build-time step (compiling contracts or circuits, rendering verifiers, a ceremony) ran
    outside a source checkout: the installed package carries only the built artifacts."""
