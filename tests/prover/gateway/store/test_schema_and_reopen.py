"""Schema versioning, reopening, store URLs and the SQLite durability settings."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from prover.gateway.store import (
    SCHEMA_VERSION,
    DoubleSpend,
    InProgress,
    NullifierStore,
    Reserved,
    Retry,
    SchemaVersionError,
    StoreConfigError,
    StoredReply,
    open_store,
)

REQ = 0xD16E57  # the request digest h (D5) the calls here are reserved for


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
        first.reserve(1, 10, 11, (1, 2), REQ)
        first.reserve(2, 20, 21, (1, 2), REQ)
        first.complete(2, 20, reply())
        first.record_withdrawal(3, 30, 31)
        first.deny([4])
        before = [first.get_record(n) for n in range(1, 5)]
    with open_store(store_url) as second:
        assert [second.get_record(n) for n in range(1, 5)] == before
        assert isinstance(second.reserve(1, 10, 11, (1, 2), REQ), InProgress)
        assert second.reserve(2, 20, 21, (1, 2), REQ) == Retry(reply=reply())
        assert second.schema_version() == SCHEMA_VERSION


def test_a_store_with_a_newer_schema_version_is_refused(store_url: str) -> None:
    with open_store(store_url) as store:
        store.reserve(1, 10, 11, (1, 2), REQ)
    _execute(store_url, f"UPDATE schema_version SET version = {SCHEMA_VERSION + 1}")
    with pytest.raises(SchemaVersionError, match="newer"):
        open_store(store_url)


def test_a_store_with_an_unknown_older_schema_version_is_refused(store_url: str) -> None:
    open_store(store_url).close()
    _execute(store_url, "UPDATE schema_version SET version = 0")
    with pytest.raises(SchemaVersionError, match="no migration"):
        open_store(store_url)


_V1_COLUMNS = """
    kind TEXT NOT NULL CHECK (kind IN ('call', 'withdrawal', 'denied')),
    status TEXT NOT NULL CHECK (status IN ('in_progress', 'served')),
    x {blob} CHECK ({len}(x) = 32),
    y {blob} CHECK ({len}(y) = 32),
    e_anon_x {blob} CHECK ({len}(e_anon_x) = 32),
    e_anon_y {blob} CHECK ({len}(e_anon_y) = 32),
    reply TEXT,
    created_us BIGINT NOT NULL,
    served_us BIGINT,
    CHECK ((kind = 'denied') = (x IS NULL) AND (x IS NULL) = (y IS NULL)),
    CHECK ((kind = 'call') = (e_anon_x IS NOT NULL) AND (e_anon_x IS NULL) = (e_anon_y IS NULL)),
    CHECK ((kind = 'call' AND status = 'served') = (reply IS NOT NULL)),
    CHECK (kind = 'call' OR status = 'served')
"""


def _v1_store(url: str, reply: StoredReply) -> None:
    """A store exactly as schema version 1 wrote it (into the empty database `url` names): the
    v1 tables and four kinds of records."""
    sqlite = url.startswith("sqlite://")
    blob, length = ("BLOB", "length") if sqlite else ("BYTEA", "octet_length")
    table = (
        f"CREATE TABLE nullifiers (nullifier {blob} NOT NULL PRIMARY KEY"
        f" CHECK ({length}(nullifier) = 32),"
        + _V1_COLUMNS.format(blob=blob, len=length)
        + (") WITHOUT ROWID" if sqlite else ")")
    )

    def b(v: int) -> str:
        return ("X'" if sqlite else "'\\x") + v.to_bytes(32, "big").hex() + "'"

    statements = [
        "CREATE TABLE schema_version (version INTEGER NOT NULL)",
        "INSERT INTO schema_version (version) VALUES (1)",
        table,
        "CREATE INDEX nullifiers_by_age ON nullifiers (created_us)",
        "INSERT INTO nullifiers (nullifier, kind, status, x, y, e_anon_x, e_anon_y, reply,"
        f" created_us, served_us) VALUES ({b(1)}, 'call', 'served', {b(10)}, {b(11)}, {b(1)},"
        f" {b(2)}, '{reply.canonical_json()}', 5, 6)",
        "INSERT INTO nullifiers (nullifier, kind, status, x, y, e_anon_x, e_anon_y, reply,"
        f" created_us, served_us) VALUES ({b(2)}, 'call', 'in_progress', {b(20)}, {b(21)},"
        f" {b(1)}, {b(2)}, NULL, 7, NULL)",
        "INSERT INTO nullifiers (nullifier, kind, status, x, y, created_us, served_us)"
        f" VALUES ({b(3)}, 'withdrawal', 'served', {b(30)}, {b(31)}, 8, 8)",
        f"INSERT INTO nullifiers (nullifier, kind, status, created_us, served_us)"
        f" VALUES ({b(4)}, 'denied', 'served', 9, 9)",
    ]
    for statement in statements:
        _execute(url, statement)


def test_a_version_1_store_is_migrated_in_place_and_keeps_every_record(
    store_url: str, reply: Callable[..., StoredReply]
) -> None:
    _v1_store(store_url, reply())
    with open_store(store_url) as store:
        assert store.schema_version() == SCHEMA_VERSION == 2
        served, running = store.get_record(1), store.get_record(2)
        assert served is not None and running is not None
        assert served.reply == reply() and served.request_digest is None
        assert (running.x, running.y, running.E_anon) == (20, 21, (1, 2))
        # a v2-protocol x hashed its request: the same x is a retry of the same request
        assert store.reserve(1, 10, 11, (1, 2), REQ) == Retry(reply=reply())
        assert isinstance(store.reserve(2, 20, 21, (1, 2), REQ), InProgress)
        assert isinstance(store.reserve(2, 99, 98, (1, 2), REQ), DoubleSpend)
        assert isinstance(store.reserve(3, 10, 11, (1, 2), REQ), DoubleSpend)
        assert store.reserve(5, 50, 51, (1, 2), REQ) == Reserved()
        fresh = store.get_record(5)
        assert fresh is not None and fresh.request_digest == REQ
    with open_store(store_url) as again:  # the migration ran once; reopening changes nothing
        assert again.schema_version() == SCHEMA_VERSION and again.stats().total == 5


def test_the_request_digest_column_refuses_wrong_lengths_and_non_call_rows(
    store_url: str,
) -> None:
    open_store(store_url).close()
    sqlite = store_url.startswith("sqlite://")
    bad_length = "X'0102'" if sqlite else "'\\x0102'"
    digest = ("X'" if sqlite else "'\\x") + "00" * 31 + "01'"
    key = ("X'" if sqlite else "'\\x") + "00" * 31 + "09'"
    xy = ("X'" if sqlite else "'\\x") + "00" * 31 + "07'"
    with pytest.raises((sqlite3.IntegrityError, psycopg.errors.CheckViolation)):
        _execute(
            store_url,
            "INSERT INTO nullifiers (nullifier, kind, status, x, y, created_us, served_us,"
            f" request_digest) VALUES ({key}, 'withdrawal', 'served', {xy}, {xy}, 1, 1, {digest})",
        )
    with pytest.raises((sqlite3.IntegrityError, psycopg.errors.CheckViolation)):
        _execute(
            store_url,
            "INSERT INTO nullifiers (nullifier, kind, status, x, y, e_anon_x, e_anon_y,"
            f" created_us, request_digest) VALUES ({key}, 'call', 'in_progress', {xy}, {xy},"
            f" {xy}, {xy}, 1, {bad_length})",
        )


def test_a_closed_store_refuses_further_use(store: NullifierStore) -> None:
    store.close()
    from prover.gateway.store import StoreError

    with pytest.raises(StoreError, match="closed"):
        store.reserve(1, 1, 1, (1, 1), REQ)


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
