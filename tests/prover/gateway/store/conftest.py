"""Fixtures of the nullifier-store conformance suite: every store test runs on both backends.

PostgreSQL is one throwaway server for the session (started by `PostgresProcess`, stopped by its
PID); each test gets an empty `public` schema. SQLite gets a new file per test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from zkcredits_testing.postgres import PostgresInfo, PostgresProcess

from prover.gateway.store import NullifierStore, StoredReply, StoredSignature, open_store

BACKENDS = ["sqlite", "postgresql"]


class FakeClock:
    """A clock the test moves by hand (prune and timestamps without sleeping)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresInfo]:
    with PostgresProcess() as info:
        yield info


def reset_postgres(dsn: str) -> None:
    """An empty `public` schema: the next store creates its tables from scratch."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


@pytest.fixture
def empty_postgres(postgres_server: PostgresInfo) -> PostgresInfo:
    """The session server with an empty `public` schema (for PostgreSQL-only tests)."""
    reset_postgres(postgres_server.dsn)
    return postgres_server


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def fresh_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[], str]:
    """Returns a function giving the URL of an empty store (a new one at each call)."""
    counter = iter(range(1_000_000))

    def make() -> str:
        if backend == "sqlite":
            return f"sqlite://{tmp_path / f'nullifiers-{next(counter)}.db'}"
        info: PostgresInfo = request.getfixturevalue("postgres_server")
        reset_postgres(info.dsn)
        return info.dsn

    return make


@pytest.fixture
def store_url(fresh_url: Callable[[], str]) -> str:
    return fresh_url()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def clock_factory() -> type[FakeClock]:
    """For tests that need several independent clocks (one per Hypothesis example)."""
    return FakeClock


@pytest.fixture
def store(store_url: str, clock: FakeClock) -> Iterator[NullifierStore]:
    with open_store(store_url, clock=clock) as opened:
        yield opened


def make_reply(cost: int = 3, penalty: int = 0, seed: int = 0) -> StoredReply:
    """A well-formed reply whose fields depend on `seed` (distinct seeds, distinct replies)."""
    return StoredReply(
        cost=str(cost),
        p=str(penalty),
        evidence_hash=str(0 if penalty == 0 else 2**255 + seed),
        E_new=(str(1000 + seed), str(2000 + seed)),
        sigma_new=StoredSignature(R8=(str(3000 + seed), str(4000 + seed)), S=str(5000 + seed)),
    )


@pytest.fixture
def reply() -> Callable[..., StoredReply]:
    return make_reply
