"""State the gateway's replicas share, beside the nullifier store.

With a PostgreSQL store (several replicas), reply bodies, the penalty log, the slash jobs and the
watcher's cursor live in the same database (`PostgresReplyBodies`, `PostgresPenaltyLog`,
`PostgresSlashJobs`), and one replica at a time runs the watcher and the slasher
(`PostgresLease`). With a SQLite store (one gateway) they stay local: bodies in memory, the
penalty log and the slash jobs in SQLite files of the deployment's data directory.
`open_shared_state` picks by the store's backend.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prover.crypto import public_key
from prover.gateway.app.body_cache import BodyCache, ReplyBodies
from prover.gateway.app.settings import GatewaySettings
from prover.gateway.chain.jobs import JobStore
from prover.gateway.chain.lease import Lease, LocalLease
from prover.gateway.datadir import DeploymentDir
from prover.gateway.policy.log import PenaltyLedger, PenaltyLog
from prover.gateway.replicas.bodies import PostgresReplyBodies
from prover.gateway.replicas.db import SharedDb
from prover.gateway.replicas.errors import (
    LeaseLostError,
    ReplicaConfigError,
    ReplicaDbError,
    ReplicaError,
)
from prover.gateway.replicas.jobs import PostgresSlashJobs
from prover.gateway.replicas.lease import PostgresLease
from prover.gateway.replicas.penalties import PostgresPenaltyLog

__all__ = [
    "LeaseLostError",
    "PostgresLease",
    "PostgresPenaltyLog",
    "PostgresReplyBodies",
    "PostgresSlashJobs",
    "ReplicaConfigError",
    "ReplicaDbError",
    "ReplicaError",
    "SharedDb",
    "SharedState",
    "open_shared_state",
]


@dataclass
class SharedState:
    """What one gateway process uses beside the store; `jobs` None = the SQLite job file."""

    backend: str
    bodies: ReplyBodies
    penalties: PenaltyLedger
    lease: Lease = field(default_factory=LocalLease)
    jobs: JobStore | None = None
    db: SharedDb | None = None

    def close(self) -> None:
        self.penalties.close()
        if self.db is not None:
            self.db.close()


def open_shared_state(
    backend: str,
    store_url: str,
    deployment: DeploymentDir,
    settings: GatewaySettings,
    server_secret: int,
    *,
    lease_seconds: float = 30.0,
) -> SharedState:
    """PostgreSQL store → everything in its database; SQLite → local files and memory."""
    if backend != "postgresql":
        return SharedState(
            backend=backend,
            bodies=BodyCache(settings.body_cache_seconds, settings.body_cache_bytes),
            penalties=PenaltyLog(deployment.penalty_log, server_secret),
        )
    pk = public_key(server_secret)
    db = SharedDb(
        store_url,
        {
            "chain_id": str(settings.chain_id),
            "vault": settings.vault.lower(),
            "server_pk": f"{pk.x},{pk.y}",
        },
    )
    lease = PostgresLease(db, lease_seconds)
    return SharedState(
        backend=backend,
        bodies=PostgresReplyBodies(db, settings.body_cache_seconds, settings.body_cache_bytes),
        penalties=PostgresPenaltyLog(db, server_secret),
        lease=lease,
        jobs=PostgresSlashJobs(db, lease),
        db=db,
    )
