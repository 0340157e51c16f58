"""`PostgresSlashJobs`: the slasher's jobs and the watcher's cursor, shared by every replica.

The same interface and state machine as `prover.gateway.chain.jobs.SlashJobs` (SQLite). Any
replica adds a job (the replica that saw the double spend; insert-if-absent, no lease needed);
only the lease holder changes one: `update` and `set_cursor` run their write with the lease's
fence in the same statement, and raise `LeaseLostError` when the fence fails, so a replica whose
lease expired while it was stalled can neither record a signed transaction nor move the cursor.
Since the raw transaction is stored before it is broadcast, a new holder re-broadcasts the same
bytes: one job never yields two slash transactions, whichever replica runs it.
"""

from __future__ import annotations

import time

from prover.gateway.chain.jobs import COLUMNS, JobStatus, SlashJob, job_from_row
from prover.gateway.replicas.db import SharedDb
from prover.gateway.replicas.errors import LeaseLostError
from prover.gateway.replicas.lease import FENCE, PostgresLease

_UPDATABLE = frozenset(COLUMNS.replace(" ", "").split(",")) - {"note_id"}


class PostgresSlashJobs:
    """Implements the slasher's job-store interface (`prover.gateway.chain.jobs.JobStore`)."""

    def __init__(self, db: SharedDb, lease: PostgresLease) -> None:
        self._db = db
        self._lease = lease

    def _fence(self) -> dict[str, str]:
        return {"lease": self._lease.name, "holder": self._lease.holder}

    def add(self, note_id: int, k: int, reason: str) -> tuple[SlashJob, bool]:
        now = time.time()
        with self._db.tx() as conn:
            row = conn.execute(
                "INSERT INTO slash_jobs (note_id, k, reason, status, created, updated)"
                " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (note_id) DO NOTHING"
                " RETURNING note_id",
                (str(note_id), str(k), reason, JobStatus.QUEUED.value, now, now),
            ).fetchone()
        job = self.get(note_id)
        assert job is not None
        return job, row is not None

    def get(self, note_id: int) -> SlashJob | None:
        with self._db.tx() as conn:
            row = conn.execute(
                f"SELECT {COLUMNS} FROM slash_jobs WHERE note_id = %s", (str(note_id),)
            ).fetchone()
        return None if row is None else job_from_row(_plain(row))

    def all(self) -> list[SlashJob]:
        with self._db.tx() as conn:
            rows = conn.execute(f"SELECT {COLUMNS} FROM slash_jobs ORDER BY created").fetchall()
        return [job_from_row(_plain(r)) for r in rows]

    def open_jobs(self) -> list[SlashJob]:
        return [j for j in self.all() if not j.status.final]

    def update(self, note_id: int, **values: object) -> SlashJob:
        """Set columns of one job, fenced by the lease (`LeaseLostError` if not held)."""
        fields = dict(values)
        unknown = set(fields) - _UPDATABLE
        if unknown:
            raise ValueError(f"not slash-job columns: {sorted(unknown)}")
        if "status" in fields:
            fields["status"] = JobStatus(str(fields["status"])).value
        sets = ", ".join(f"{name} = %({name})s" for name in fields)
        params = {**fields, **self._fence(), "updated": time.time(), "note_id": str(note_id)}
        with self._db.tx() as conn:
            done = conn.execute(
                f"UPDATE slash_jobs SET {sets}, updated = %(updated)s"
                f" WHERE note_id = %(note_id)s AND {FENCE} RETURNING note_id",
                params,
            ).fetchone()
        if done is None:
            if self.get(note_id) is None:
                raise KeyError(note_id)
            raise LeaseLostError(
                f"slash job {note_id} not changed: this replica does not hold the slasher lease"
            )
        job = self.get(note_id)
        assert job is not None
        return job

    def cursor(self, name: str) -> int:
        with self._db.tx() as conn:
            row = conn.execute(
                "SELECT value FROM slash_cursors WHERE name = %s", (name,)
            ).fetchone()
        return 0 if row is None else int(str(row[0]))

    def set_cursor(self, name: str, value: int) -> None:
        with self._db.tx() as conn:
            done = conn.execute(
                "INSERT INTO slash_cursors (name, value) SELECT %(name)s, %(value)s"
                f" WHERE {FENCE}"
                " ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value RETURNING name",
                {"name": name, "value": value, **self._fence()},
            ).fetchone()
        if done is None:
            raise LeaseLostError(
                f"cursor {name} not moved: this replica does not hold the slasher lease"
            )

    def close(self) -> None:
        """The shared database is closed by its owner (`SharedState.close`)."""


def _plain(row: tuple[object, ...]) -> tuple[object, ...]:
    """psycopg returns BYTEA as `bytes` and BIGINT as `int`, as SQLite does: nothing to map but
    memoryview (older drivers)."""
    return tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
