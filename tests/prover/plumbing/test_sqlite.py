"""`open_sqlite` on real SQLite files: the durable settings, refusals named, a writer waits."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from prover.errors import ZkCreditsError
from prover.plumbing.errors import PlumbingError, SqliteOpenError, SqliteWalRefusedError
from prover.plumbing.sqlite import open_sqlite


def test_a_file_opens_in_wal_with_full_sync_foreign_keys_and_the_busy_timeout(
    tmp_path: Path,
) -> None:
    conn = open_sqlite(tmp_path / "db.sqlite", busy_timeout=12.5)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 12_500
        assert conn.isolation_level is None  # callers BEGIN and COMMIT themselves
    finally:
        conn.close()


def test_foreign_keys_are_enforced(tmp_path: Path) -> None:
    conn = open_sqlite(tmp_path / "db.sqlite")
    try:
        conn.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        conn.execute("CREATE TABLE child (parent INTEGER REFERENCES parent(id))")
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO child VALUES (7)")
    finally:
        conn.close()


def test_a_committed_row_is_there_after_reopening(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    conn = open_sqlite(path)
    conn.execute("CREATE TABLE t (v TEXT)")
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO t VALUES ('kept')")
    conn.execute("COMMIT")
    conn.close()
    again = open_sqlite(path)
    try:
        assert again.execute("SELECT v FROM t").fetchall() == [("kept",)]
    finally:
        again.close()


def test_a_second_writer_waits_for_the_first_instead_of_failing(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    first, second = open_sqlite(path), open_sqlite(path)
    first.execute("CREATE TABLE t (v INTEGER)")
    first.execute("BEGIN IMMEDIATE")
    first.execute("INSERT INTO t VALUES (1)")
    waiting = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        waiting.set()
        try:
            second.execute("BEGIN IMMEDIATE")  # blocks until `first` commits
            second.execute("INSERT INTO t VALUES (2)")
            second.execute("COMMIT")
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=write)
    thread.start()
    waiting.wait(10)
    first.execute("COMMIT")
    thread.join(60)
    try:
        assert not errors and not thread.is_alive()
        assert first.execute("SELECT v FROM t ORDER BY v").fetchall() == [(1,), (2,)]
    finally:
        first.close()
        second.close()


def test_a_database_that_cannot_be_in_wal_is_refused_by_name() -> None:
    with pytest.raises(SqliteWalRefusedError) as info:
        open_sqlite(":memory:")  # an in-memory database has journal mode `memory`
    assert "refused WAL mode" in str(info.value) and ":memory:" in str(info.value)


def test_a_path_that_is_not_a_database_file_is_refused_naming_it(tmp_path: Path) -> None:
    not_db = tmp_path / "notes.txt"
    not_db.write_bytes(b"this is not a SQLite database, just text " * 100)
    with pytest.raises(SqliteOpenError) as info:
        open_sqlite(not_db)
    assert str(not_db) in str(info.value)
    assert isinstance(info.value, PlumbingError) and isinstance(info.value, ZkCreditsError)


def test_a_missing_directory_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "absent" / "db.sqlite"
    with pytest.raises(SqliteOpenError) as info:
        open_sqlite(path)
    assert str(path) in str(info.value)
