"""The mirror's SQLite file: identity (chain, genesis, vault), progress (last block and its hash)
and every mirrored event. One chunk of blocks is written in one transaction, so the file always
holds a prefix of the chain that ends exactly at `last_block`."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from prover.chain.mirror.errors import MirrorError, MirrorMismatchError
from prover.chain.mirror.finality import BlockRef
from prover.chain.mirror.models import (
    CheckpointEvent,
    DepositRecord,
    NoteEvent,
    Position,
    VaultEvent,
    WithdrawalRecord,
)
from prover.plumbing.errors import SqliteOpenError
from prover.plumbing.sqlite import open_sqlite

SCHEMA_VERSION: Final[int] = 1

_SCHEMA: Final[str] = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deposits (
    idx INTEGER PRIMARY KEY, note_id TEXT NOT NULL UNIQUE, deposit TEXT NOT NULL,
    expiry TEXT NOT NULL, leaf TEXT NOT NULL, root TEXT NOT NULL, ts INTEGER NOT NULL,
    block INTEGER NOT NULL, log_index INTEGER NOT NULL, tx TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoints (
    epoch INTEGER PRIMARY KEY, root TEXT NOT NULL,
    block INTEGER NOT NULL, log_index INTEGER NOT NULL, tx TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS withdrawals (
    seq INTEGER PRIMARY KEY, note_id TEXT NOT NULL, nullifier_t TEXT NOT NULL,
    y_w TEXT NOT NULL, pending INTEGER NOT NULL, recipient TEXT NOT NULL, charged TEXT NOT NULL,
    penalties TEXT NOT NULL, ready_at INTEGER NOT NULL,
    block INTEGER NOT NULL, log_index INTEGER NOT NULL, tx TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS note_events (
    block INTEGER NOT NULL, log_index INTEGER NOT NULL, kind TEXT NOT NULL,
    note_id TEXT NOT NULL, amount TEXT NOT NULL, tx TEXT NOT NULL,
    PRIMARY KEY (block, log_index));
"""

IDENTITY_KEYS: Final = ("schema_version", "chain_id", "genesis_hash", "vault", "service_id")


def _pos(block: int, log_index: int, tx: str) -> Position:
    return Position(block_number=block, log_index=log_index, tx_hash=tx)


class MirrorDb:
    """Thread-safe (one connection, one lock) access to one mirror file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = open_sqlite(path)
        except SqliteOpenError as exc:
            raise MirrorError(f"mirror file: {exc}") from exc
        self._lock = threading.Lock()
        with self._lock:
            self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # ------------------------------------------------------------------ meta

    def meta(self) -> dict[str, str]:
        with self._lock:
            return dict(self._conn.execute("SELECT key, value FROM meta").fetchall())

    def bind_identity(self, identity: dict[str, str], params: dict[str, str]) -> None:
        """First open: write the identity; later opens: refuse any other chain/vault/schema."""
        stored = self.meta()
        if not stored:
            with self._lock:
                self._conn.execute("BEGIN IMMEDIATE")
                self._conn.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [*identity.items(), *params.items()],
                )
                self._conn.execute("COMMIT")
            return
        for key in IDENTITY_KEYS:
            if stored.get(key) != identity[key]:
                raise MirrorMismatchError(
                    f"mirror file {self.path} belongs to {key}={stored.get(key)!r}, "
                    f"not {identity[key]!r}: refusing to reuse it",
                    field=key,
                )
        for key, value in params.items():
            if stored.get(key) != value:
                raise MirrorMismatchError(
                    f"mirror file {self.path} recorded {key}={stored.get(key)!r}, the vault "
                    f"reports {value!r}",
                    field=key,
                )

    def progress(self) -> BlockRef | None:
        m = self.meta()
        if "last_block" not in m:
            return None
        return BlockRef(
            number=int(m["last_block"]), hash=m["last_hash"], timestamp=int(m["last_timestamp"])
        )

    # ------------------------------------------------------------------ writes

    def ingest(self, events: Iterable[VaultEvent], upto: BlockRef) -> None:
        """Store `events` and move the progress mark to `upto`, in one transaction."""
        with self._lock:
            c = self._conn
            c.execute("BEGIN IMMEDIATE")
            try:
                for e in events:
                    self._insert(c, e)
                c.executemany(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                    [
                        ("last_block", str(upto.number)),
                        ("last_hash", upto.hash),
                        ("last_timestamp", str(upto.timestamp)),
                    ],
                )
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise

    @staticmethod
    def _insert(c: sqlite3.Connection, e: VaultEvent) -> None:
        at = e.at
        where = (at.block_number, at.log_index, at.tx_hash)
        if isinstance(e, DepositRecord):
            c.execute(
                "INSERT INTO deposits VALUES (?,?,?,?,?,?,?,?,?,?)",
                (e.index, str(e.note_id), str(e.deposit), str(e.expiry), str(e.leaf),
                 str(e.root), e.timestamp, *where),
            )  # fmt: skip
        elif isinstance(e, CheckpointEvent):
            c.execute("INSERT INTO checkpoints VALUES (?,?,?,?,?)", (e.epoch, str(e.root), *where))
        elif isinstance(e, WithdrawalRecord):
            c.execute(
                "INSERT INTO withdrawals VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (e.seq, str(e.note_id), str(e.nullifier_t), str(e.y_w), int(e.pending),
                 e.recipient, str(e.charged), str(e.penalties), e.ready_at, *where),
            )  # fmt: skip
        else:
            c.execute(
                "INSERT INTO note_events VALUES (?,?,?,?,?,?)",
                (at.block_number, at.log_index, e.kind, str(e.note_id), str(e.amount), at.tx_hash),
            )

    # ------------------------------------------------------------------ reads

    def deposits(self) -> list[DepositRecord]:
        with self._lock:
            rows = self._conn.execute("SELECT * FROM deposits ORDER BY idx").fetchall()
        return [
            DepositRecord(
                index=r[0], note_id=int(r[1]), deposit=int(r[2]), expiry=int(r[3]),
                leaf=int(r[4]), root=int(r[5]), timestamp=r[6], at=_pos(r[7], r[8], r[9]),
            )
            for r in rows
        ]  # fmt: skip

    def checkpoint_events(self) -> list[CheckpointEvent]:
        with self._lock:
            rows = self._conn.execute("SELECT * FROM checkpoints ORDER BY epoch").fetchall()
        return [
            CheckpointEvent(epoch=r[0], root=int(r[1]), at=_pos(r[2], r[3], r[4])) for r in rows
        ]

    def withdrawals(self, after_seq: int = 0) -> list[WithdrawalRecord]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM withdrawals WHERE seq > ? ORDER BY seq", (after_seq,)
            ).fetchall()
        return [
            WithdrawalRecord(
                seq=r[0], note_id=int(r[1]), nullifier_t=int(r[2]), y_w=int(r[3]),
                pending=bool(r[4]), recipient=r[5], charged=int(r[6]), penalties=int(r[7]),
                ready_at=r[8], at=_pos(r[9], r[10], r[11]),
            )
            for r in rows
        ]  # fmt: skip

    def max_withdrawal_seq(self) -> int:
        with self._lock:
            row = self._conn.execute("SELECT COALESCE(MAX(seq), 0) FROM withdrawals").fetchone()
        return int(row[0])

    def note_events(self) -> list[NoteEvent]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM note_events ORDER BY block, log_index"
            ).fetchall()
        return [
            NoteEvent(kind=r[2], note_id=int(r[3]), amount=int(r[4]), at=_pos(r[0], r[1], r[5]))
            for r in rows
        ]
