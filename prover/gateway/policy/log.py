"""`PenaltyLog`: the append-only, hash-chained, signed log of penalties, in one SQLite file.

Why SQLite (not JSONL + fsync): an append must read the head, chain to it and write atomically,
and the gateway may run several workers on one machine. SQLite gives that with `BEGIN IMMEDIATE`
(one writer at a time across threads and processes) and, with WAL and `synchronous=FULL`, every
returned append is on disk before the reply that carries its evidence hash (the same durability
rule as the nullifier store). A torn last line of a JSONL file would need its own recovery code.
Appends are idempotent per evidence hash: a retried call re-evaluated after a crash gets the entry
already written, never a second one.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from prover.crypto import Point, public_key
from prover.crypto.rln import keccak256
from prover.gateway.policy.entry import PenaltyEntry, make_entry
from prover.gateway.policy.errors import PenaltyLogError
from prover.gateway.policy.evidence import ZERO_HASH
from prover.plumbing.errors import SqliteOpenError
from prover.plumbing.sqlite import open_sqlite

_DDL = """
CREATE TABLE IF NOT EXISTS penalty_log (
    seq INTEGER PRIMARY KEY,
    evidence_hash TEXT NOT NULL UNIQUE,
    entry TEXT NOT NULL
)
"""


class PenaltyLedger(Protocol):
    """What the policy and `GET /penalties` need from a penalty log: `PenaltyLog` (SQLite, one
    gateway) or `prover.gateway.replicas.PostgresPenaltyLog` (one log for every replica)."""

    server_pk: Point

    def append(self, evidence: bytes) -> PenaltyEntry: ...

    def entries(self, since: int = 0, limit: int = 1000) -> list[PenaltyEntry]: ...

    def head(self) -> PenaltyEntry | None: ...

    def find(self, evidence_hash: bytes) -> PenaltyEntry | None: ...

    def close(self) -> None: ...


class PenaltyLog:
    """`PenaltyLog(path, secret_key)`: `append(evidence)`, `entries(since)`, `head()`."""

    def __init__(
        self,
        path: str | Path,
        secret_key: int,
        *,
        clock: Callable[[], float] = time.time,
        busy_timeout: float = 30.0,
    ) -> None:
        self._secret = secret_key
        self.server_pk: Point = public_key(secret_key)
        self._clock = clock
        self._lock = threading.Lock()
        try:
            self._db = open_sqlite(path, busy_timeout=busy_timeout)
        except SqliteOpenError as exc:
            raise PenaltyLogError(f"cannot open penalty log {path}: {exc}", field="path") from exc
        try:
            self._db.execute(_DDL)
        except sqlite3.Error as exc:
            self._db.close()
            raise PenaltyLogError(f"cannot open penalty log {path}: {exc}", field="path") from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def append(self, evidence: bytes) -> PenaltyEntry:
        """Sign and durably append `evidence` (canonical JSON); the existing entry if present."""
        ev_hash = "0x" + keccak256(evidence).hex()
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    row = self._db.execute(
                        "SELECT entry FROM penalty_log WHERE evidence_hash = ?", (ev_hash,)
                    ).fetchone()
                    if row is not None:
                        self._db.execute("COMMIT")
                        return PenaltyEntry.model_validate_json(row[0])
                    last = self._db.execute(
                        "SELECT entry FROM penalty_log ORDER BY seq DESC LIMIT 1"
                    ).fetchone()
                    if last is None:
                        seq, prev = 0, ZERO_HASH
                    else:
                        head = PenaltyEntry.model_validate_json(last[0])
                        seq, prev = head.seq + 1, bytes.fromhex(head.entry_hash[2:])
                    entry = make_entry(self._secret, seq, prev, int(self._clock()), evidence)
                    self._db.execute(
                        "INSERT INTO penalty_log (seq, evidence_hash, entry) VALUES (?, ?, ?)",
                        (seq, ev_hash, entry.model_dump_json()),
                    )
                    self._db.execute("COMMIT")
                    return entry
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise PenaltyLogError(f"cannot append to penalty log: {exc}", field="log") from exc

    def entries(self, since: int = 0, limit: int = 1000) -> list[PenaltyEntry]:
        """Entries with `seq ≥ since`, oldest first, at most `limit` (the `GET /penalties` page)."""
        with self._lock:
            try:
                rows = self._db.execute(
                    "SELECT entry FROM penalty_log WHERE seq >= ? ORDER BY seq LIMIT ?",
                    (max(0, since), max(0, limit)),
                ).fetchall()
            except sqlite3.Error as exc:
                raise PenaltyLogError(f"cannot read penalty log: {exc}", field="log") from exc
        return [PenaltyEntry.model_validate_json(r[0]) for r in rows]

    def head(self) -> PenaltyEntry | None:
        """The newest entry (its `entry_hash` commits to the whole log)."""
        with self._lock:
            row = self._db.execute(
                "SELECT entry FROM penalty_log ORDER BY seq DESC LIMIT 1"
            ).fetchone()
        return None if row is None else PenaltyEntry.model_validate_json(row[0])

    def find(self, evidence_hash: bytes) -> PenaltyEntry | None:
        """The entry of an evidence hash a client received in PAYMENT-RESPONSE."""
        with self._lock:
            row = self._db.execute(
                "SELECT entry FROM penalty_log WHERE evidence_hash = ?",
                ("0x" + evidence_hash.hex(),),
            ).fetchone()
        return None if row is None else PenaltyEntry.model_validate_json(row[0])


def entries_to_wire(entries: list[PenaltyEntry]) -> list[dict[str, object]]:
    """JSON-ready list for `GET /penalties`."""
    return [json.loads(e.model_dump_json()) for e in entries]
