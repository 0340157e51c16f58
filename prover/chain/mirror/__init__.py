"""A persisted, incremental, finality-bounded mirror of a CreditVault's events (PROTOCOL §4, §11).

Used by the gateway (`prover.gateway.chain`: chain view, withdrawal watcher, slasher) and by the
client (the tree it proves membership in, and the checkpoint it proves against).
"""

from prover.chain.mirror.checkpoints import CheckpointIndex
from prover.chain.mirror.errors import (
    MirrorError,
    MirrorInconsistentError,
    MirrorMismatchError,
    MirrorReorgError,
    MirrorRpcError,
)
from prover.chain.mirror.finality import BlockRef, Finality, finality_point
from prover.chain.mirror.mirror import VaultMirror
from prover.chain.mirror.models import (
    Checkpoint,
    CheckpointEvent,
    DepositRecord,
    NoteEvent,
    Position,
    SyncReport,
    WithdrawalRecord,
)

__all__ = [
    "BlockRef",
    "Checkpoint",
    "CheckpointEvent",
    "CheckpointIndex",
    "DepositRecord",
    "Finality",
    "MirrorError",
    "MirrorInconsistentError",
    "MirrorMismatchError",
    "MirrorReorgError",
    "MirrorRpcError",
    "NoteEvent",
    "Position",
    "SyncReport",
    "VaultMirror",
    "WithdrawalRecord",
    "finality_point",
]
