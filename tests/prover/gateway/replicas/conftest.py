"""Fixtures of the shared-state tests: one throwaway PostgreSQL server for the session (started by
`PostgresProcess`, stopped by its PID), an empty schema per test, and two `SharedDb`s on it
standing for two replicas (separate connections, like two processes)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from zkcredits_testing.postgres import PostgresInfo, PostgresProcess

from prover.gateway.replicas import SharedDb

IDENTITY = {"chain_id": "31337", "vault": "0x" + "ab" * 20, "server_pk": "1,2"}


@pytest.fixture(scope="session")
def replicas_postgres() -> Iterator[PostgresInfo]:
    with PostgresProcess() as info:
        yield info


@pytest.fixture
def dsn(replicas_postgres: PostgresInfo) -> str:
    with psycopg.connect(replicas_postgres.dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return replicas_postgres.dsn


@pytest.fixture
def identity() -> dict[str, str]:
    return dict(IDENTITY)


@pytest.fixture
def two_dbs(dsn: str) -> Iterator[tuple[SharedDb, SharedDb]]:
    a, b = SharedDb(dsn, IDENTITY), SharedDb(dsn, IDENTITY)
    yield a, b
    a.close()
    b.close()
