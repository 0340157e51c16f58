"""One database connection per thread, all closed by `close()`; refuses use after `fork()`."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from prover.gateway.store.errors import StoreError

C = TypeVar("C")


class PerThread(Generic[C]):
    """Lazily opens a connection for each calling thread with `opener`; `close_all` closes each
    with `closer`. A connection is only ever used by the thread that opened it."""

    def __init__(self, opener: Callable[[], C], closer: Callable[[C], None]) -> None:
        self._opener = opener
        self._closer = closer
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[C] = []
        self._pid = os.getpid()
        self._closed = False

    def get(self) -> C:
        if os.getpid() != self._pid:
            raise StoreError(
                "this store was opened in another process (before fork): open a new store here"
            )
        if self._closed:
            raise StoreError("this store is closed")
        conn: C | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._opener()
            with self._lock:
                self._all.append(conn)
            self._local.conn = conn
        return conn

    def discard(self) -> None:
        """Drop (and close) the calling thread's connection, e.g. after it broke."""
        conn: C | None = getattr(self._local, "conn", None)
        if conn is None:
            return
        self._local.conn = None
        with self._lock:
            self._all = [c for c in self._all if c is not conn]
        with contextlib.suppress(Exception):  # a broken connection may fail to close
            self._closer(conn)

    def close_all(self) -> None:
        with self._lock:
            conns, self._all, self._closed = self._all, [], True
        for conn in conns:
            self._closer(conn)
