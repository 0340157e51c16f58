"""The chain side's `ChainHealth` for `/healthz` and the metrics, read without any RPC call."""

from __future__ import annotations

import time

from prover.chain.mirror import VaultMirror
from prover.gateway.app.health import ChainHealth
from prover.gateway.chain.service import ChainSync
from prover.gateway.chain.view import MirrorChainView


def chain_health(view: MirrorChainView, mirror: VaultMirror, loop: ChainSync) -> ChainHealth:
    last = mirror.last_block
    head = loop.head_block
    synced_at = mirror.synced_at()
    lag = None if head is None or last is None else max(0, head - last.number)
    try:
        open_jobs: int | None = len(loop.slasher.jobs.open_jobs())
    except Exception:  # a shared job store may be unreachable: reported as unknown
        open_jobs = None
    error = loop.last_error
    return ChainHealth(
        synced=view.is_synced(),
        chain_id=mirror.chain_id,
        finality=mirror.finality.describe(),
        last_block=None if last is None else last.number,
        head_block=head,
        finality_lag_blocks=lag,
        last_sync_age_seconds=None if synced_at is None else round(time.monotonic() - synced_at, 3),
        slasher_lease=loop.lease.held(),
        open_slash_jobs=open_jobs,
        error=None if error is None else f"{type(error).__name__}: {error}"[:300],
    )
