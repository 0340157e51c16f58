"""Open a store from a URL: `sqlite:///abs/path.db` (or a plain path) or `postgresql://…`."""

from __future__ import annotations

from pathlib import Path

from prover.gateway.store.base import Clock, NullifierStore
from prover.gateway.store.errors import StoreConfigError


def open_store(url: str, *, clock: Clock | None = None) -> NullifierStore:
    """The backend named by `url`. `sqlite:///…` and plain paths open (or create) a SQLite file;
    `postgresql://…`, `postgres://…` and libpq keyword DSNs (`host=… dbname=…`) open
    PostgreSQL."""
    if url.startswith(("postgresql://", "postgres://")) or "dbname=" in url:
        from prover.gateway.store.postgres import PostgresNullifierStore

        return PostgresNullifierStore(url, clock=clock)
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://")
        if not path.startswith("/"):
            raise StoreConfigError(f"a sqlite URL needs an absolute path (sqlite:///…): {url!r}")
    elif "://" in url:
        raise StoreConfigError(f"unknown nullifier store URL scheme: {url!r}")
    else:
        path = url
    from prover.gateway.store.sqlite import SqliteNullifierStore

    return SqliteNullifierStore(Path(path), clock=clock)
