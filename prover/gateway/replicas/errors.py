"""Errors of the replicas' shared state; all derive from `ReplicaError`."""

from __future__ import annotations

from prover.errors import ZkCreditsError


class ReplicaError(ZkCreditsError):
    """Root of the shared-state errors; `field` names the offending setting when there is one."""


class ReplicaConfigError(ReplicaError):
    """The database cannot be used as configured (another deployment's, durability off)."""


class ReplicaDbError(ReplicaError):
    """The database failed (connection lost, I/O); the operation's outcome is unknown."""


class LeaseLostError(ReplicaError):
    """This replica no longer holds the slasher lease: it must not change slash jobs."""
