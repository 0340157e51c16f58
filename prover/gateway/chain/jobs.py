"""The slasher's durable state: one job per note to slash, and the watcher's cursor (SQLite here;
`prover.gateway.replicas.PostgresSlashJobs` on PostgreSQL).

A job moves `queued → signed → done` (or ends `already_slashed`, `not_slashable`, `failed`).
`signed` stores the exact raw transaction (and its hash and nonce) *before* it is broadcast, so a
restart re-broadcasts the same bytes (same nonce, same hash) instead of sending a second slash.
The job file holds recovered secrets `k` of cheaters' notes: keep it with the gateway's keys.
"""

from __future__ import annotations

import threading
import time
from enum import StrEnum
from pathlib import Path
from typing import Final, Protocol

from pydantic import BaseModel, ConfigDict

from prover.gateway.chain.errors import GatewayChainError, SlashJobsMismatchError
from prover.plumbing.errors import SqliteOpenError
from prover.plumbing.sqlite import open_sqlite

_SCHEMA: Final[str] = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    note_id TEXT PRIMARY KEY, k TEXT NOT NULL, reason TEXT NOT NULL, status TEXT NOT NULL,
    nonce INTEGER, raw_tx BLOB, tx_hash TEXT, signings INTEGER NOT NULL DEFAULT 0,
    denied_from INTEGER, denied_to INTEGER, error TEXT,
    created REAL NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS cursors (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class JobStatus(StrEnum):
    QUEUED = "queued"
    SIGNED = "signed"
    DONE = "done"
    ALREADY_SLASHED = "already_slashed"
    NOT_SLASHABLE = "not_slashable"
    FAILED = "failed"

    @property
    def final(self) -> bool:
        return self not in (JobStatus.QUEUED, JobStatus.SIGNED)


class SlashJob(BaseModel):
    """One note to slash. `signings` counts signed transactions (1 unless a nonce was lost)."""

    model_config = ConfigDict(frozen=True)

    note_id: int
    k: int
    reason: str
    status: JobStatus
    nonce: int | None = None
    raw_tx: bytes | None = None
    tx_hash: str | None = None
    signings: int = 0
    denied_from: int | None = None
    denied_to: int | None = None
    error: str | None = None


COLUMNS: Final = (
    "note_id, k, reason, status, nonce, raw_tx, tx_hash, signings, denied_from, denied_to, error"
)


def job_from_row(row: tuple[object, ...]) -> SlashJob:
    return SlashJob(
        note_id=int(str(row[0])), k=int(str(row[1])), reason=str(row[2]),
        status=JobStatus(str(row[3])), nonce=row[4], raw_tx=row[5], tx_hash=row[6],
        signings=row[7], denied_from=row[8], denied_to=row[9], error=row[10],
    )  # fmt: skip


class JobStore(Protocol):
    """What the slasher and the watcher need: `SlashJobs` (SQLite, one gateway) or
    `prover.gateway.replicas.PostgresSlashJobs` (shared by replicas, fenced by the lease)."""

    def add(self, note_id: int, k: int, reason: str) -> tuple[SlashJob, bool]: ...

    def get(self, note_id: int) -> SlashJob | None: ...

    def all(self) -> list[SlashJob]: ...

    def open_jobs(self) -> list[SlashJob]: ...

    def update(self, note_id: int, **values: object) -> SlashJob: ...

    def cursor(self, name: str) -> int: ...

    def set_cursor(self, name: str, value: int) -> None: ...

    def close(self) -> None: ...


class SlashJobs:
    """Thread-safe access to the job file; every write is one committed transaction."""

    def __init__(self, path: Path, *, chain_id: int, vault: str) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = open_sqlite(path)
        except SqliteOpenError as exc:
            raise GatewayChainError(f"slash-job file: {exc}", field="slash_jobs") from exc
        self._lock = threading.Lock()
        with self._lock:
            self._conn.executescript(_SCHEMA)
            identity = {"chain_id": str(chain_id), "vault": vault}
            stored = dict(self._conn.execute("SELECT key, value FROM meta").fetchall())
            if not stored:
                self._conn.executemany("INSERT INTO meta VALUES (?, ?)", list(identity.items()))
            for key, value in identity.items():
                if stored and stored.get(key) != value:
                    raise SlashJobsMismatchError(
                        f"slash-job file {path} is for {key}={stored.get(key)!r}, not {value!r}",
                        field=key,
                    )

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def add(self, note_id: int, k: int, reason: str) -> tuple[SlashJob, bool]:
        """Insert a queued job unless the note already has one; returns (job, created)."""
        now = time.time()
        with self._lock:
            cur = self._conn.execute(
                "INSERT OR IGNORE INTO jobs (note_id, k, reason, status, created, updated) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (str(note_id), str(k), reason, JobStatus.QUEUED.value, now, now),
            )
            created = cur.rowcount == 1
        job = self.get(note_id)
        assert job is not None
        return job, created

    def get(self, note_id: int) -> SlashJob | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {COLUMNS} FROM jobs WHERE note_id = ?", (str(note_id),)
            ).fetchone()
        return None if row is None else job_from_row(row)

    def all(self) -> list[SlashJob]:
        with self._lock:
            rows = self._conn.execute(f"SELECT {COLUMNS} FROM jobs ORDER BY created").fetchall()
        return [job_from_row(r) for r in rows]

    def open_jobs(self) -> list[SlashJob]:
        return [j for j in self.all() if not j.status.final]

    def update(self, note_id: int, **values: object) -> SlashJob:
        """Set columns of one job (status as a `JobStatus`), durably."""
        fields = dict(values)
        if "status" in fields:
            fields["status"] = JobStatus(str(fields["status"])).value
        sets = ", ".join(f"{name} = ?" for name in fields)
        with self._lock:
            self._conn.execute(
                f"UPDATE jobs SET {sets}, updated = ? WHERE note_id = ?",
                (*fields.values(), time.time(), str(note_id)),
            )
        job = self.get(note_id)
        assert job is not None
        return job

    def cursor(self, name: str) -> int:
        with self._lock:
            row = self._conn.execute("SELECT value FROM cursors WHERE name = ?", (name,)).fetchone()
        return 0 if row is None else int(row[0])

    def set_cursor(self, name: str, value: int) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO cursors VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = ?",
                (name, value, value),
            )
