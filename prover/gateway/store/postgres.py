"""PostgreSQL backend: several gateway replicas on one store.

Why it is linearizable and durable:

- The nullifier is the table's PRIMARY KEY, so at most one row per nullifier can ever commit.
- `reserve` (and `record_withdrawal`) is one READ COMMITTED transaction:
  `INSERT … ON CONFLICT (nullifier) DO NOTHING RETURNING nullifier`, then, if nothing was
  inserted, a read-back `SELECT`. The insert is a speculative insertion on the unique index:
  when another transaction holds an uncommitted row for the same key, it *waits* for that
  transaction to end; if it committed, ours does nothing, and the read-back (a new snapshot
  under READ COMMITTED) sees the committed winner; if it aborted, ours inserts. So exactly one
  reserver wins and every loser reads the winner's row. Should the row vanish between the two
  statements (a concurrent `prune` of an old record), the transaction simply tries again.
- `complete` locks the row (`SELECT … FOR UPDATE`) before deciding and updating.
- Every session runs with `synchronous_commit` at least `on` (forced if the server says `off`),
  and the store refuses a server with `fsync = off`: `COMMIT` returns only after the WAL is
  flushed, so a method that returned is durable.
- Reads are single statements in autocommit, which see every transaction committed before them.

The isolation level is pinned to READ COMMITTED on our connections (a server default of
REPEATABLE READ or SERIALIZABLE would make the read-back miss a concurrent winner).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg

from prover.errors import ZkCreditsError
from prover.gateway.store import rows
from prover.gateway.store.base import Clock, NullifierStore
from prover.gateway.store.connections import PerThread
from prover.gateway.store.errors import StoreBackendError, StoreConfigError, StoreError
from prover.gateway.store.logic import Row
from prover.gateway.store.models import Kind, Status
from prover.gateway.store.schema import (
    POSTGRES_DDL,
    POSTGRES_MIGRATIONS,
    SCHEMA_VERSION,
    check_version,
    migration_steps,
)

_SELECT = f"SELECT {rows.COLUMNS} FROM nullifiers WHERE nullifier = %s"
_INSERT = f"INSERT INTO nullifiers ({rows.COLUMNS}) VALUES ({', '.join(['%s'] * rows.WIDTH)})"
_INSERT_ABSENT = _INSERT + " ON CONFLICT (nullifier) DO NOTHING RETURNING nullifier"
_UPDATE = (
    "UPDATE nullifiers SET kind = %s, status = %s, x = %s, y = %s, e_anon_x = %s,"
    " e_anon_y = %s, reply = %s, created_us = %s, served_us = %s, request_digest = %s"
    " WHERE nullifier = %s"
)
_SCHEMA_LOCK = 0x7A6B_6372_6564_6974  # "zkcredit": serialises schema creation across replicas
_MAX_ATTEMPTS = 8


class PostgresNullifierStore(NullifierStore):
    """`PostgresNullifierStore(dsn)`: libpq DSN or `postgresql://` URL of an existing database."""

    backend = "postgresql"

    def __init__(self, dsn: str, *, clock: Clock | None = None, connect_timeout: int = 10) -> None:
        super().__init__(clock)
        self._dsn = dsn
        self._connect_timeout = connect_timeout
        self._conns: PerThread[psycopg.Connection[tuple[object, ...]]] = PerThread(
            self._connect, _close
        )
        self._version = self._init_schema()

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        return connect_durable(
            self._dsn,
            self._connect_timeout,
            unreachable=lambda why: StoreBackendError(
                f"cannot connect to the PostgreSQL store: {why}"
            ),
            not_durable=StoreConfigError,
        )

    @contextmanager
    def _tx(self) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
        conn = self._conns.get()
        try:
            with conn.transaction():
                yield conn
        except psycopg.Error as exc:
            if conn.broken or conn.closed:
                self._conns.discard()
            raise StoreBackendError(f"PostgreSQL store: {exc}") from exc

    def _init_schema(self) -> int:
        with self._tx() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            for statement in POSTGRES_DDL:
                conn.execute(statement)
            found_row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
            found = None if found_row is None or found_row[0] is None else int(str(found_row[0]))
            check_version(found, "PostgreSQL store")
            if found is None:
                conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (SCHEMA_VERSION,))
            elif found < SCHEMA_VERSION:  # migrate under the advisory lock, in this transaction
                for statement in migration_steps(found, POSTGRES_MIGRATIONS):
                    conn.execute(statement)
                conn.execute("UPDATE schema_version SET version = %s", (SCHEMA_VERSION,))
        return SCHEMA_VERSION

    def _insert_or_get(self, row: Row) -> Row | None:
        for _ in range(_MAX_ATTEMPTS):
            with self._tx() as conn:
                if conn.execute(_INSERT_ABSENT, rows.to_params(row)).fetchone() is not None:
                    return None
                existing = rows.from_db(
                    conn.execute(_SELECT, (rows.key(row.nullifier),)).fetchone()
                )
                if existing is not None:
                    return existing
        raise StoreError(f"nullifier {row.nullifier} kept vanishing under a concurrent prune")

    def _modify(self, nullifier: int, change: Callable[[Row | None], Row]) -> Row:
        with self._tx() as conn:
            old = rows.from_db(
                conn.execute(_SELECT + " FOR UPDATE", (rows.key(nullifier),)).fetchone()
            )
            new = change(old)
            if old is None:
                conn.execute(_INSERT, rows.to_params(new))
            elif new != old:
                params = rows.to_params(new)
                conn.execute(_UPDATE, (*params[1:], params[0]))
            return new

    def _insert_absent(self, new_rows: list[Row]) -> int:
        with self._tx() as conn:
            inserted = 0
            for row in new_rows:
                if conn.execute(_INSERT_ABSENT, rows.to_params(row)).fetchone() is not None:
                    inserted += 1
            return inserted

    def _get(self, nullifier: int) -> Row | None:
        with self._tx() as conn:
            return rows.from_db(conn.execute(_SELECT, (rows.key(nullifier),)).fetchone())

    def _delete_final_before(self, cutoff_us: int) -> int:
        with self._tx() as conn:
            return conn.execute(
                "DELETE FROM nullifiers WHERE status = 'served'"
                " AND coalesce(served_us, created_us) < %s",
                (cutoff_us,),
            ).rowcount

    def _counts(self) -> tuple[dict[tuple[Kind, Status], int], int | None]:
        with self._tx() as conn:
            grouped = conn.execute(
                "SELECT kind, status, count(*) FROM nullifiers GROUP BY kind, status"
            ).fetchall()
            oldest_row = conn.execute(
                "SELECT min(created_us) FROM nullifiers WHERE status = 'in_progress'"
            ).fetchone()
        oldest = None if oldest_row is None or oldest_row[0] is None else int(str(oldest_row[0]))
        return {(Kind(str(k)), Status(str(s))): int(str(n)) for k, s, n in grouped}, oldest

    def schema_version(self) -> int:
        return self._version

    def close(self) -> None:
        self._conns.close_all()


def connect_durable(
    dsn: str,
    connect_timeout: int,
    *,
    unreachable: Callable[[str], ZkCreditsError],
    not_durable: Callable[[str], ZkCreditsError],
) -> psycopg.Connection[tuple[object, ...]]:
    """A connection on which a returned COMMIT is durable (module docstring): autocommit, READ
    COMMITTED, `synchronous_commit` at least `on`; a server with `fsync` off is refused. The
    caller names its errors: `unreachable(reason)` when the server cannot be reached,
    `not_durable(message)` for a server that would lose commits."""
    try:
        conn = psycopg.connect(dsn, autocommit=True, connect_timeout=connect_timeout)
        conn.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
        fsync = _setting(conn, "fsync")
        if _setting(conn, "synchronous_commit") == "off":
            conn.execute("SET synchronous_commit = on")
    except psycopg.Error as exc:
        raise unreachable(str(exc)) from exc
    if fsync != "on":
        conn.close()
        raise not_durable(
            f"the PostgreSQL server runs with fsync = {fsync}: commits would not be durable"
        )
    return conn


def _setting(conn: psycopg.Connection[tuple[object, ...]], name: str) -> str:
    found = conn.execute("SELECT current_setting(%s)", (name,)).fetchone()
    return "" if found is None else str(found[0])


def _close(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    conn.close()
