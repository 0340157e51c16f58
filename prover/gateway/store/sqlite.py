"""SQLite backend: one file, one gateway (several threads and processes on one machine).

Why it is linearizable and durable:

- WAL journal with `synchronous=FULL`: every commit fsyncs the WAL before `COMMIT` returns, so a
  method that returned has its change on disk (NORMAL would survive a process crash but could
  lose the last commits on power loss: not "durable before any reply").
- Every write runs in `BEGIN IMMEDIATE`, which takes the database's single write lock at the
  start (file locks: it excludes other threads *and* processes). All writes are therefore totally
  ordered; the read-back inside the same transaction sees every earlier commit and nothing can
  change between the check and the insert, so exactly one reserver of a nullifier wins.
- A read (`get_reply`, `stats`) is one deferred transaction; in WAL mode it sees the last commit
  made before it started, i.e. every write that returned before the read was called.
- Waiting writers queue on the busy timeout (default 30 s) instead of failing. Within one store
  object they first queue on a Python lock held only around the write transaction (SQLite's
  busy handler sleeps with backoff; a lock hands over at once), never around Python work.
- Group commit for `reserve`/`complete`: writers that queued while a transaction ran are applied
  one after the other, in queue order, in the next single `BEGIN IMMEDIATE … COMMIT`, so one
  fsync covers them; each returns only after that commit. A SQLite error fails (rolls back) the
  whole group and every writer in it gets `StoreBackendError`: nothing of it was committed.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from prover.gateway.store import rows
from prover.gateway.store.base import Clock, NullifierStore
from prover.gateway.store.connections import PerThread
from prover.gateway.store.errors import StoreBackendError, StoreConfigError, StoreError
from prover.gateway.store.logic import Row
from prover.gateway.store.models import Kind, Status
from prover.gateway.store.schema import (
    SCHEMA_VERSION,
    SQLITE_DDL,
    SQLITE_MIGRATIONS,
    check_version,
    migration_steps,
)
from prover.plumbing.errors import SqliteOpenError, SqliteWalRefusedError
from prover.plumbing.sqlite import open_sqlite

_SELECT = f"SELECT {rows.COLUMNS} FROM nullifiers WHERE nullifier = ?"
_INSERT = f"INSERT INTO nullifiers ({rows.COLUMNS}) VALUES ({', '.join(['?'] * rows.WIDTH)})"
_INSERT_ABSENT = _INSERT + " ON CONFLICT (nullifier) DO NOTHING"
_UPDATE = (
    "UPDATE nullifiers SET kind = ?, status = ?, x = ?, y = ?, e_anon_x = ?, e_anon_y = ?,"
    " reply = ?, created_us = ?, served_us = ?, request_digest = ? WHERE nullifier = ?"
)


@dataclass
class _Pending:
    """One queued write of a group commit: `op` runs inside the group's transaction; it may
    raise only before its own first write (a refusal) or from SQLite (fails the group)."""

    op: Callable[[sqlite3.Connection], object]
    done: bool = False
    result: object = None
    error: BaseException | None = None


class SqliteNullifierStore(NullifierStore):
    """The embedded default: `SqliteNullifierStore(path)`; the file is created if missing."""

    backend = "sqlite"

    def __init__(
        self, path: str | Path, *, clock: Clock | None = None, busy_timeout: float = 30.0
    ) -> None:
        super().__init__(clock)
        self._path = Path(path)
        self._busy_timeout = busy_timeout
        if not self._path.parent.is_dir():
            raise StoreConfigError(f"directory of the store does not exist: {self._path.parent}")
        self._conns: PerThread[sqlite3.Connection] = PerThread(self._connect, _close)
        self._write_lock = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queue: list[_Pending] = []
        self._version = self._init_schema()

    def _connect(self) -> sqlite3.Connection:
        try:
            return open_sqlite(self._path, busy_timeout=self._busy_timeout)
        except SqliteWalRefusedError as exc:
            raise StoreConfigError(f"SQLite store {self._path} refused WAL mode ({exc})") from exc
        except SqliteOpenError as exc:
            raise StoreBackendError(f"cannot open SQLite store {self._path}: {exc}") from exc

    @contextmanager
    def _tx(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        if not write:
            with self._tx_on(self._conns.get(), write=False) as conn:
                yield conn
            return
        conn = self._conns.get()
        with self._write_lock, self._tx_on(conn, write=True):
            yield conn

    @contextmanager
    def _tx_on(self, conn: sqlite3.Connection, *, write: bool) -> Iterator[sqlite3.Connection]:
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    self._conns.discard()
            raise StoreBackendError(f"SQLite store {self._path}: {exc}") from exc

    def _grouped(self, op: Callable[[sqlite3.Connection], object]) -> object:
        """Run `op` in a write transaction, sharing it (and its fsync) with queued writers."""
        mine = _Pending(op)
        with self._queue_lock:
            self._queue.append(mine)
        with self._write_lock:
            if not mine.done:  # else an earlier holder committed it with its group
                with self._queue_lock:
                    group, self._queue = self._queue, []
                self._commit_group(group)
        if mine.error is not None:
            raise mine.error
        return mine.result

    def _commit_group(self, group: list[_Pending]) -> None:
        try:
            with self._tx_on(self._conns.get(), write=True) as conn:
                for item in group:
                    try:
                        item.result = item.op(conn)
                    except sqlite3.Error:
                        raise
                    except Exception as exc:  # a refusal, raised before the op wrote anything
                        item.error = exc
        except BaseException as exc:
            # Nothing of the group was committed: each writer gets its own error (not one
            # exception object raised in several threads), the leader re-raises an interrupt.
            message = str(exc) if isinstance(exc, StoreError) else f"{self._path}: {exc!r}"
            for item in group:
                item.result = None
                item.error = StoreBackendError(message)
                item.error.__cause__ = exc
            if not isinstance(exc, Exception):
                raise
        finally:
            for item in group:
                item.done = True

    def _init_schema(self) -> int:
        with self._tx(write=True) as conn:
            for statement in SQLITE_DDL:
                conn.execute(statement)
            found = conn.execute("SELECT max(version) FROM schema_version").fetchone()[0]
            check_version(found, f"SQLite store {self._path}")
            if found is None:
                conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
            elif found < SCHEMA_VERSION:  # migrate in this same transaction
                for statement in migration_steps(found, SQLITE_MIGRATIONS):
                    conn.execute(statement)
                conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))
        return SCHEMA_VERSION

    def _insert_or_get(self, row: Row) -> Row | None:
        # Insert first: an unseen nullifier (the common case) costs one statement, not a read
        # and an insert. Same transaction, so the outcome is the same as reading first.
        params = rows.to_params(row)

        def op(conn: sqlite3.Connection) -> Row | None:
            if conn.execute(_INSERT_ABSENT, params).rowcount == 1:
                return None
            return rows.from_db(conn.execute(_SELECT, (params[0],)).fetchone())

        result = self._grouped(op)
        assert result is None or isinstance(result, Row)
        return result

    def _modify(self, nullifier: int, change: Callable[[Row | None], Row]) -> Row:
        def op(conn: sqlite3.Connection) -> Row:
            old = rows.from_db(conn.execute(_SELECT, (rows.key(nullifier),)).fetchone())
            new = change(old)  # may refuse (raise): before this op writes anything
            if old is None:
                conn.execute(_INSERT, rows.to_params(new))
            elif new != old:
                params = rows.to_params(new)
                conn.execute(_UPDATE, (*params[1:], params[0]))
            return new

        result = self._grouped(op)
        assert isinstance(result, Row)
        return result

    def _insert_absent(self, new_rows: list[Row]) -> int:
        with self._tx(write=True) as conn:
            inserted = 0
            for row in new_rows:
                inserted += conn.execute(_INSERT_ABSENT, rows.to_params(row)).rowcount
            return inserted

    def _get(self, nullifier: int) -> Row | None:
        with self._tx(write=False) as conn:
            return rows.from_db(conn.execute(_SELECT, (rows.key(nullifier),)).fetchone())

    def _delete_final_before(self, cutoff_us: int) -> int:
        with self._tx(write=True) as conn:
            return conn.execute(
                "DELETE FROM nullifiers WHERE status = 'served'"
                " AND coalesce(served_us, created_us) < ?",
                (cutoff_us,),
            ).rowcount

    def _counts(self) -> tuple[dict[tuple[Kind, Status], int], int | None]:
        with self._tx(write=False) as conn:
            grouped = conn.execute(
                "SELECT kind, status, count(*) FROM nullifiers GROUP BY kind, status"
            ).fetchall()
            oldest = conn.execute(
                "SELECT min(created_us) FROM nullifiers WHERE status = 'in_progress'"
            ).fetchone()[0]
        return {(Kind(k), Status(s)): int(n) for k, s, n in grouped}, oldest

    def schema_version(self) -> int:
        return self._version

    def close(self) -> None:
        self._conns.close_all()


def _close(conn: sqlite3.Connection) -> None:
    conn.close()
