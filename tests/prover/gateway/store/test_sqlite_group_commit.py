"""SQLite group commit: writers queued behind a running transaction share the next one (one
fsync), each still gets exactly its own outcome, and a SQLite error fails the whole group with
nothing committed.

Determinism: the test holds the store's write lock (as a running transaction would), starts the
writers one by one, waiting until each has queued, then releases the lock.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prover.gateway.store import (
    DoubleSpend,
    RequestMismatch,
    Reserved,
    Status,
    StoreBackendError,
    StoredReply,
)
from prover.gateway.store.sqlite import SqliteNullifierStore

REQ = 0xD16E57  # the request digest h (D5) the calls here are reserved for

E_ANON = (5, 6)


class _Outcomes:
    """Runs each call in its own thread once it is queued; keeps what each returned or raised."""

    def __init__(self, store: SqliteNullifierStore) -> None:
        self.store = store
        self.results: dict[str, Any] = {}
        self.threads: list[threading.Thread] = []

    def queue(self, name: str, call: Callable[[], object]) -> None:
        before = len(self.store._queue)

        def run() -> None:
            try:
                self.results[name] = call()
            except Exception as exc:
                self.results[name] = exc

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        self.threads.append(thread)
        deadline = time.monotonic() + 30
        while len(self.store._queue) == before:  # queued behind the held write lock
            assert time.monotonic() < deadline, f"{name} never queued"
            time.sleep(0.005)

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=30)
            assert not thread.is_alive()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> SqliteNullifierStore:
    return SqliteNullifierStore(tmp_path / "nullifiers.db")


@pytest.fixture
def groups(sqlite_store: SqliteNullifierStore, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every group committed (the real `_commit_group`, observed)."""
    sizes: list[int] = []
    real = sqlite_store._commit_group

    def observed(group: list[Any]) -> None:
        sizes.append(len(group))
        real(group)

    monkeypatch.setattr(sqlite_store, "_commit_group", observed)
    return sizes


def test_writers_queued_behind_a_transaction_share_one_commit_and_each_is_reserved_once(
    sqlite_store: SqliteNullifierStore, groups: list[int]
) -> None:
    calls = _Outcomes(sqlite_store)
    with sqlite_store._write_lock:
        for n in range(1, 9):
            calls.queue(f"r{n}", lambda n=n: sqlite_store.reserve(n, 10 * n, 100 * n, E_ANON, REQ))
        calls.queue("again", lambda: sqlite_store.reserve(3, 31, 301, E_ANON, REQ))  # same ticket
    calls.join()
    assert groups == [9]  # one transaction, one fsync, for nine writers
    assert all(isinstance(calls.results[f"r{n}"], Reserved) for n in range(1, 9))
    assert isinstance(calls.results["again"], DoubleSpend)  # sees r3's write in the same group
    for n in range(1, 9):
        assert sqlite_store.get_record(n).status is Status.IN_PROGRESS


def test_a_refused_complete_inside_a_group_fails_only_its_own_caller(
    sqlite_store: SqliteNullifierStore, groups: list[int], reply: Callable[..., StoredReply]
) -> None:
    served = reply(cost=4, seed=1)
    calls = _Outcomes(sqlite_store)
    with sqlite_store._write_lock:
        calls.queue("reserve", lambda: sqlite_store.reserve(7, 70, 700, E_ANON, REQ))
        calls.queue("wrong_x", lambda: sqlite_store.complete(7, 71, served))
        calls.queue("complete", lambda: sqlite_store.complete(7, 70, served))
    calls.join()
    assert groups == [3]
    assert isinstance(calls.results["reserve"], Reserved)
    assert isinstance(calls.results["wrong_x"], RequestMismatch)
    assert calls.results["complete"].status is Status.SERVED
    assert sqlite_store.get_reply(7) == served


def test_a_sqlite_error_fails_the_whole_group_and_commits_none_of_it(
    sqlite_store: SqliteNullifierStore, groups: list[int]
) -> None:
    boom = (13).to_bytes(32, "big").hex()
    with sqlite3.connect(sqlite_store._path) as conn:  # a real SQLite failure for one insert
        conn.execute(
            "CREATE TRIGGER boom BEFORE INSERT ON nullifiers "
            f"WHEN NEW.nullifier = x'{boom}' BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
        )
    calls = _Outcomes(sqlite_store)
    with sqlite_store._write_lock:
        calls.queue("first", lambda: sqlite_store.reserve(12, 120, 1200, E_ANON, REQ))
        calls.queue("failing", lambda: sqlite_store.reserve(13, 130, 1300, E_ANON, REQ))
    calls.join()
    assert groups == [2]
    for name in ("first", "failing"):
        error = calls.results[name]
        assert isinstance(error, StoreBackendError) and "disk says no" in str(error)
    assert calls.results["first"] is not calls.results["failing"]  # each caller its own error
    assert sqlite_store.get_record(12) is None and sqlite_store.get_record(13) is None
    assert isinstance(sqlite_store.reserve(12, 120, 1200, E_ANON, REQ), Reserved)  # retry: fine
    assert groups == [2, 1]
