"""The gateway's chain side: `MirrorChainView` (its `ChainView`), the exit watcher, the slasher
(a `DoubleSpendSink`) and `ChainSync`, the background loop that drives all three."""

from prover.gateway.chain.components import GatewayChain, open_gateway_chain
from prover.gateway.chain.errors import (
    GatewayChainError,
    SecretNotDepositedError,
    SlashJobsMismatchError,
)
from prover.gateway.chain.jobs import JobStatus, SlashJob, SlashJobs
from prover.gateway.chain.service import ChainSync
from prover.gateway.chain.slasher import (
    DEFAULT_DENY_AHEAD,
    SLASH_GAS,
    DoubleSpendSink,
    Slasher,
    ticket_nullifier,
)
from prover.gateway.chain.view import MirrorChainView
from prover.gateway.chain.watcher import WatchReport, WithdrawalWatcher

__all__ = [
    "DEFAULT_DENY_AHEAD",
    "SLASH_GAS",
    "ChainSync",
    "DoubleSpendSink",
    "GatewayChain",
    "GatewayChainError",
    "JobStatus",
    "MirrorChainView",
    "SecretNotDepositedError",
    "SlashJob",
    "SlashJobs",
    "SlashJobsMismatchError",
    "Slasher",
    "WatchReport",
    "WithdrawalWatcher",
    "open_gateway_chain",
    "ticket_nullifier",
]
