"""Errors raised on purpose by the gateway's chain side; all derive from `GatewayChainError`."""

from __future__ import annotations

from prover.errors import ZkCreditsError


class GatewayChainError(ZkCreditsError):
    """Root of the chain view / watcher / slasher errors; `field` names the offending value."""


class SecretNotDepositedError(GatewayChainError):
    """A recovered `k` whose `ID = H(TAG_ID, k)` is not a deposited note (nothing to slash)."""


class SlashJobsMismatchError(GatewayChainError):
    """The slash-job file belongs to another chain or vault."""


class VaultMismatchError(GatewayChainError):
    """The gateway's settings or keys differ from what its vault pins (`field`: the first)."""


class VaultUnreachableError(GatewayChainError):
    """The RPC does not answer, or no CreditVault answers at the bundle's address."""
