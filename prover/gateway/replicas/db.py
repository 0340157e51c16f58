"""The replicas' shared tables in the nullifier store's PostgreSQL database.

One `SharedDb` per gateway process: a connection per thread (READ COMMITTED, `synchronous_commit`
at least `on`, refused if the server runs with `fsync = off` — the same durability rules as the
nullifier store), the schema created once under an advisory lock, and the database bound to one
deployment (chain id, vault, `server_pk`): a database of another deployment is refused.

Tables (schema version 1): `replica_meta` (the binding), `reply_bodies`, `penalty_log`,
`slash_jobs`, `slash_cursors` and `leases`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

import psycopg

from prover.gateway.replicas.errors import ReplicaConfigError, ReplicaDbError
from prover.gateway.store.connections import PerThread
from prover.gateway.store.postgres import connect_durable

SCHEMA_VERSION: Final = 1
_SCHEMA_LOCK: Final = 0x7A6B_7265_706C_6963  # "zkreplic"

DDL: Final = (
    "CREATE TABLE IF NOT EXISTS replica_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS reply_bodies ("
    " nullifier BYTEA PRIMARY KEY CHECK (octet_length(nullifier) = 32),"
    " x BYTEA NOT NULL CHECK (octet_length(x) = 32),"
    " status INTEGER NOT NULL, content_type TEXT NOT NULL, body BYTEA NOT NULL,"
    " stored_us BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS reply_bodies_by_age ON reply_bodies (stored_us)",
    "CREATE TABLE IF NOT EXISTS penalty_log ("
    " seq BIGINT PRIMARY KEY, evidence_hash TEXT NOT NULL UNIQUE, entry TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS slash_jobs ("
    " note_id TEXT PRIMARY KEY, k TEXT NOT NULL, reason TEXT NOT NULL, status TEXT NOT NULL,"
    " nonce BIGINT, raw_tx BYTEA, tx_hash TEXT, signings INTEGER NOT NULL DEFAULT 0,"
    " denied_from BIGINT, denied_to BIGINT, error TEXT,"
    " created DOUBLE PRECISION NOT NULL, updated DOUBLE PRECISION NOT NULL)",
    "CREATE TABLE IF NOT EXISTS slash_cursors (name TEXT PRIMARY KEY, value BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS leases ("
    " name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at TIMESTAMPTZ NOT NULL,"
    " term BIGINT NOT NULL)",
)

Conn = psycopg.Connection[tuple[object, ...]]


class SharedDb:
    """`SharedDb(dsn, identity)`: connections and the bound schema of the shared tables."""

    def __init__(self, dsn: str, identity: dict[str, str], *, connect_timeout: int = 10) -> None:
        self._dsn = dsn
        self._connect_timeout = connect_timeout
        self._conns: PerThread[Conn] = PerThread(self._connect, lambda c: c.close())
        self._init(identity)

    def _connect(self) -> Conn:
        return connect_durable(
            self._dsn,
            self._connect_timeout,
            unreachable=lambda why: ReplicaDbError(f"cannot connect to PostgreSQL: {why}"),
            not_durable=lambda message: ReplicaConfigError(message, field="store"),
        )

    @contextmanager
    def tx(self) -> Iterator[Conn]:
        """One transaction on this thread's connection; database errors become `ReplicaDbError`."""
        conn = self._conns.get()
        try:
            with conn.transaction():
                yield conn
        except psycopg.Error as exc:
            if conn.broken or conn.closed:
                self._conns.discard()
            raise ReplicaDbError(f"PostgreSQL: {exc}") from exc

    def _init(self, identity: dict[str, str]) -> None:
        with self.tx() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            for statement in DDL:
                conn.execute(statement)
            rows = conn.execute("SELECT key, value FROM replica_meta").fetchall()
            stored = {str(key): str(value) for key, value in rows}
            want = {"schema_version": str(SCHEMA_VERSION), **identity}
            if not stored:
                for key, value in want.items():
                    conn.execute("INSERT INTO replica_meta VALUES (%s, %s)", (key, value))
                return
            for key, value in want.items():
                if stored.get(key) != value:
                    raise ReplicaConfigError(
                        f"store: this database holds the state of {key}={stored.get(key)!r}, "
                        f"not {value!r}: one database per deployment",
                        field="store",
                    )

    def close(self) -> None:
        self._conns.close_all()
