"""Served reply bodies, kept for retries (what the nullifier store does not keep).

The store keeps the signed state of every served ticket durably (that is what the client needs
to go on); the upstream body is kept for `ttl` seconds. `ReplyBodies` is the interface the
pipeline uses: `BodyCache` (in memory, one gateway on SQLite: also bounded by `max_bytes` in
total, lost on restart) or `prover.gateway.replicas.PostgresReplyBodies` (in the store's
database, so any replica answers a retry). The body is put *before* the ticket is completed in
the store, so a crash between the two never leaves a served ticket without its body. A retry
whose body is gone gets `410 response_expired` with `PAYMENT-RESPONSE`.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class CachedBody:
    x: int
    status: int
    content_type: str
    body: bytes
    stored_at: float


class ReplyBodies(ABC):
    """Bodies of served calls by nullifier; `get` returns one only for the same `x`."""

    @abstractmethod
    def put(self, nullifier: int, x: int, status: int, content_type: str, body: bytes) -> None:
        """Keep (or replace) the body of the call on `nullifier` (raises `StoreError` if it
        cannot: the call is then not completed)."""

    @abstractmethod
    def get(self, nullifier: int, x: int) -> CachedBody | None: ...


class BodyCache(ReplyBodies):
    """In memory, per process: at most `max_bytes` in total, each for `ttl` seconds."""

    def __init__(
        self, ttl: float, max_bytes: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._max = max_bytes
        self._clock = clock
        self._items: OrderedDict[int, CachedBody] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def put(self, nullifier: int, x: int, status: int, content_type: str, body: bytes) -> None:
        if len(body) > self._max or self._ttl <= 0:
            return
        with self._lock:
            self._drop(nullifier)
            self._items[nullifier] = CachedBody(x, status, content_type, body, self._clock())
            self._size += len(body)
            while self._size > self._max:
                self._drop(next(iter(self._items)))

    def get(self, nullifier: int, x: int) -> CachedBody | None:
        with self._lock:
            item = self._items.get(nullifier)
            if item is None:
                return None
            if self._clock() - item.stored_at > self._ttl:
                self._drop(nullifier)
                return None
            return item if item.x == x else None

    def _drop(self, nullifier: int) -> None:
        item = self._items.pop(nullifier, None)
        if item is not None:
            self._size -= len(item.body)
