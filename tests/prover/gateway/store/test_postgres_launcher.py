"""The throwaway PostgreSQL launcher: a real server we hold by PID, and typed start failures."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest
from zkcredits_testing.errors import PostgresStartError
from zkcredits_testing.postgres import PostgresInfo, PostgresProcess

from prover.errors import ZkCreditsError
from prover.toolchain.errors import ToolchainError


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_session_server_is_a_postgres_process_not_running_as_root(
    postgres_server: PostgresInfo,
) -> None:
    status = Path(f"/proc/{postgres_server.pid}/status").read_text()
    assert Path(f"/proc/{postgres_server.pid}/comm").read_text().strip() == "postgres"
    real_uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
    assert real_uid != 0
    with psycopg.connect(postgres_server.dsn) as conn:
        row = conn.execute("SELECT current_database(), current_setting('fsync')").fetchone()
    assert row == (postgres_server.dbname, "on")
    with psycopg.connect(postgres_server.tcp_dsn) as conn:
        port = conn.execute("SELECT inet_server_port()").fetchone()
    assert port == (postgres_server.port,)


def test_stopping_ends_the_server_by_pid_and_removes_its_directory() -> None:
    server = PostgresProcess(dbname="launcher_check")
    info = server.start()
    base = Path(info.socket_dir).parent
    assert base.is_dir() and _alive(info.pid)
    server.stop()
    assert not _alive(info.pid)
    assert not base.exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(info.tcp_dsn, connect_timeout=2)
    server.stop()  # a second stop is harmless


def test_a_server_that_cannot_start_raises_a_typed_error_with_its_log_tail() -> None:
    server = PostgresProcess(settings={"shared_buffers": "lots"})
    with pytest.raises(PostgresStartError) as raised:
        server.start()
    message = str(raised.value)
    assert "shared_buffers" in message and "log tail" in message
    assert isinstance(raised.value, ToolchainError) and isinstance(raised.value, ZkCreditsError)
    assert server.info is None
