"""Who runs the exit watcher and the slasher: one process at a time.

With SQLite there is one gateway, which always holds the `LocalLease`. With PostgreSQL several
replicas share the slash jobs and the watcher's cursor; only the holder of the database lease
(`prover.gateway.replicas.PostgresLease`) watches exits and runs slash jobs, and every change to
a job is fenced by that lease in the same transaction, so a replica that lost it (stalled past
its expiry) cannot sign or record anything. `LeaseKeeper` renews the lease from its own thread,
so a long step (a proof, waiting for a receipt) does not let it lapse.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

from prover.logs import get_logger

log = get_logger("zkcredits.gateway.lease")


class Lease(Protocol):
    holder: str

    def acquire(self) -> bool:
        """Take or renew the lease; True iff this process holds it until `ttl` from now."""
        ...

    def release(self) -> None: ...


class LocalLease:
    """The one gateway of a SQLite store always holds its lease."""

    holder = "local"

    def acquire(self) -> bool:
        return True

    def release(self) -> None:
        return None


class LeaseKeeper:
    """Renews `lease` every `ttl / 3` seconds in a daemon thread; `held()` is this process's
    (conservative) belief: renewed less than `2·ttl/3` ago. Safety does not rest on it: job
    changes are fenced in the database."""

    def __init__(self, lease: Lease, ttl: float) -> None:
        self.lease = lease
        self.ttl = ttl
        self._renewed_at: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._was_held = False

    def renew(self) -> bool:
        try:
            ok = self.lease.acquire()
        except Exception as exc:  # the database may be down: not held, retried next round
            log.warning("lease_renew_failed", error=str(exc))
            ok = False
        self._renewed_at = time.monotonic() if ok else None
        if ok != self._was_held:
            log.info("lease_acquired" if ok else "lease_lost", holder=self.lease.holder)
            self._was_held = ok
        return ok

    def held(self) -> bool:
        if isinstance(self.lease, LocalLease):
            return True
        at = self._renewed_at
        return at is not None and time.monotonic() - at < 2 * self.ttl / 3

    def _run(self) -> None:
        while not self._stop.is_set():
            self.renew()
            self._stop.wait(self.ttl / 3)

    def start(self) -> None:
        if isinstance(self.lease, LocalLease):
            return  # always held: nothing to renew
        if self._thread is None:
            self.renew()
            self._thread = threading.Thread(target=self._run, name="zkcredits-lease", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        try:
            self.lease.release()
        except Exception as exc:
            log.warning("lease_release_failed", error=str(exc))
