"""`PostgresReplyBodies`: served reply bodies in the shared database, so any replica answers a
retry with the body the caller paid for.

Semantics match the in-memory `BodyCache`: a body is kept for `ttl` seconds (then `get` misses
and the retry gets `410 response_expired` with its signed state); a body larger than `max_bytes`
is not kept. `put` replaces the row of its nullifier (upsert), and is called before the ticket is
completed in the store; it commits without waiting for its own WAL flush, since the `complete`
that follows flushes the WAL past it (one fsync per call, not two). Expired rows are deleted by
`put` about once a minute.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from prover.gateway.app.body_cache import CachedBody, ReplyBodies
from prover.gateway.replicas.db import SharedDb
from prover.gateway.replicas.errors import ReplicaDbError
from prover.gateway.store import StoreBackendError

_PURGE_EVERY_S = 60.0


def _b32(value: int) -> bytes:
    return value.to_bytes(32, "big")


class PostgresReplyBodies(ReplyBodies):
    def __init__(
        self,
        db: SharedDb,
        ttl: float,
        max_bytes: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._ttl = ttl
        self._max = max_bytes
        self._clock = clock
        self._last_purge = 0.0
        self._purge_lock = threading.Lock()

    def _us(self, seconds: float) -> int:
        return int(seconds * 1_000_000)

    def put(self, nullifier: int, x: int, status: int, content_type: str, body: bytes) -> None:
        if len(body) > self._max or self._ttl <= 0:
            return
        now = self._clock()
        try:
            with self._db.tx() as conn:
                # No flush of its own: the ticket's `complete`, committed after this with
                # `synchronous_commit` on, flushes the WAL up to its own commit record, which
                # is past this one, so a served ticket still never lacks its body on disk.
                conn.execute("SET LOCAL synchronous_commit = off")
                conn.execute(
                    "INSERT INTO reply_bodies (nullifier, x, status, content_type, body,"
                    " stored_us) VALUES (%s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT (nullifier) DO UPDATE SET x = EXCLUDED.x,"
                    " status = EXCLUDED.status, content_type = EXCLUDED.content_type,"
                    " body = EXCLUDED.body, stored_us = EXCLUDED.stored_us",
                    (_b32(nullifier), _b32(x), status, content_type, body, self._us(now)),
                )
        except ReplicaDbError as exc:
            raise StoreBackendError(f"cannot keep the reply body: {exc}") from exc
        self._purge(now)

    def get(self, nullifier: int, x: int) -> CachedBody | None:
        try:
            with self._db.tx() as conn:
                row = conn.execute(
                    "SELECT x, status, content_type, body, stored_us FROM reply_bodies"
                    " WHERE nullifier = %s",
                    (_b32(nullifier),),
                ).fetchone()
        except ReplicaDbError:
            return None  # the retry gets 410 with its signed state: nothing is charged twice
        if row is None:
            return None
        stored_x, status, content_type, body, stored_us = row
        stored_at = int(str(stored_us)) / 1_000_000
        if not isinstance(stored_x, bytes) or not isinstance(body, bytes):
            return None
        if self._clock() - stored_at > self._ttl or stored_x != _b32(x):
            return None
        return CachedBody(x, int(str(status)), str(content_type), body, stored_at)

    def _purge(self, now: float) -> None:
        if now - self._last_purge < _PURGE_EVERY_S or not self._purge_lock.acquire(False):
            return
        try:
            self._last_purge = now
            with self._db.tx() as conn:
                conn.execute(
                    "DELETE FROM reply_bodies WHERE stored_us < %s", (self._us(now - self._ttl),)
                )
        except ReplicaDbError:
            pass  # retried at the next purge
        finally:
            self._purge_lock.release()
