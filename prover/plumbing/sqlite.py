"""One way to open a SQLite file: the strictest durable settings any zkcredits store needs.

- `journal_mode=WAL`, verified (a file that stays in another mode is refused). On a file several
  processes create at once the switch can get SQLITE_BUSY without SQLite's busy handler
  running, so it is retried within the busy timeout.
- `synchronous=FULL`: every commit fsyncs the WAL before `COMMIT` returns (durable, not only
  consistent, across a power loss).
- a busy timeout (default 30 s): a writer waits for another instead of failing at once.
- `foreign_keys=ON`: declared references are enforced (SQLite leaves them off by default).
- `isolation_level=None` (callers issue `BEGIN IMMEDIATE`/`COMMIT` themselves) and
  `check_same_thread=False` (callers guard a shared connection with their own lock).

Every failure is a `SqliteOpenError` naming the file; callers turn it into their own error.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from prover.plumbing.errors import SqliteOpenError, SqliteWalRefusedError

DEFAULT_BUSY_TIMEOUT = 30.0


def open_sqlite(
    path: str | Path, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT
) -> sqlite3.Connection:
    """A connection to `path` (created if absent) with the durable settings above."""
    try:
        conn = sqlite3.connect(
            str(path), timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise SqliteOpenError(f"cannot open SQLite file {path}: {exc}") from exc
    try:
        mode = _enter_wal(conn, busy_timeout)
        if str(mode).lower() != "wal":
            raise SqliteWalRefusedError(f"SQLite file {path} refused WAL mode (got {mode!r})")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as exc:
        conn.close()
        raise SqliteOpenError(f"cannot open SQLite file {path}: {exc}") from exc
    except SqliteOpenError:
        conn.close()
        raise
    return conn


def _enter_wal(conn: sqlite3.Connection, busy_timeout: float) -> object:
    deadline = time.monotonic() + busy_timeout
    delay = 0.005
    while True:
        try:
            return conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.2)
