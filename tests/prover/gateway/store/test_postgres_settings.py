"""The PostgreSQL backend refuses a server whose commits would not be durable."""

from __future__ import annotations

import pytest
from zkcredits_testing.postgres import PostgresProcess

from prover.gateway.store import PostgresNullifierStore, StoreConfigError


def test_a_server_running_without_fsync_is_refused() -> None:
    server = PostgresProcess(dbname="unsafe", settings={"fsync": "off"})
    with server as info, pytest.raises(StoreConfigError, match="fsync = off"):
        PostgresNullifierStore(info.dsn)
