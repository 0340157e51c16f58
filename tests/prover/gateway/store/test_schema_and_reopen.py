"""Schema versioning, reopening, store URLs and the SQLite durability settings."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from prover.gateway.store import (
    SCHEMA_VERSION,
    InProgress,
    NullifierStore,
    Retry,
    SchemaVersionError,
    StoreConfigError,
    StoredReply,
    open_store,
)


def _execute(url: str, statement: str) -> None:
    if url.startswith("sqlite://"):
        with sqlite3.connect(url.removeprefix("sqlite://")) as conn:
            conn.execute(statement)
    else:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(statement)


def test_reopening_a_store_keeps_every_record(
    store_url: str, reply: Callable[..., StoredReply]
) -> None:
    with open_store(store_url) as first:
        first.reserve(1, 10, 11, (1, 2))
        first.reserve(2, 20, 21, (1, 2))
        first.complete(2, 20, reply())
        first.record_withdrawal(3, 30, 31)
        first.deny([4])
        before = [first.get_record(n) for n in range(1, 5)]
    with open_store(store_url) as second:
        assert [second.get_record(n) for n in range(1, 5)] == before
        assert second.reserve(1, 10, 11, (1, 2)) == InProgress()
        assert second.reserve(2, 20, 21, (1, 2)) == Retry(reply=reply())
        assert second.schema_version() == SCHEMA_VERSION


def test_a_store_with_a_newer_schema_version_is_refused(store_url: str) -> None:
    with open_store(store_url) as store:
        store.reserve(1, 10, 11, (1, 2))
    _execute(store_url, f"UPDATE schema_version SET version = {SCHEMA_VERSION + 1}")
    with pytest.raises(SchemaVersionError, match="newer"):
        open_store(store_url)


def test_a_store_with_an_unknown_older_schema_version_is_refused(store_url: str) -> None:
    open_store(store_url).close()
    _execute(store_url, "UPDATE schema_version SET version = 0")
    with pytest.raises(SchemaVersionError, match="no migration"):
        open_store(store_url)


def test_a_closed_store_refuses_further_use(store: NullifierStore) -> None:
    store.close()
    from prover.gateway.store import StoreError

    with pytest.raises(StoreError, match="closed"):
        store.reserve(1, 1, 1, (1, 1))


def test_the_sqlite_file_is_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    open_store(str(path)).close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize("url", ["redis://localhost/0", "sqlite://relative.db", "mysql://x@y/z"])
def test_an_unusable_store_url_is_refused(url: str) -> None:
    with pytest.raises(StoreConfigError):
        open_store(url)


def test_a_sqlite_store_in_a_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreConfigError, match="does not exist"):
        open_store(str(tmp_path / "missing" / "store.db"))
