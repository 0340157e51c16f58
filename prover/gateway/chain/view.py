"""`MirrorChainView`: the gateway's `ChainView` (prover.gateway.ports) over a `VaultMirror`."""

from __future__ import annotations

import time
from collections.abc import Callable

from prover.chain.mirror import VaultMirror


class MirrorChainView:
    """Synced = the last sync reached the finality point less than `max_staleness` seconds ago
    (by `clock`, the mirror's clock); nothing is served before the first complete sync (§11)."""

    def __init__(
        self,
        mirror: VaultMirror,
        *,
        max_staleness: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.mirror = mirror
        self.max_staleness = max_staleness
        self._clock = clock

    def is_synced(self) -> bool:
        at = self.mirror.synced_at()
        return at is not None and self._clock() - at <= self.max_staleness

    def is_accepted_root(self, root: int, now: float) -> bool:
        return self.is_synced() and self.mirror.is_accepted_root(root, now)

    def is_deposited_id(self, note_id: int) -> bool:
        return self.mirror.is_deposited(note_id)
