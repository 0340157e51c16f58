"""`PostgresPenaltyLog`: one signed, hash-chained penalty log for every replica.

The same log as `prover.gateway.policy.log.PenaltyLog` (entries made by `make_entry`, checked by
`verify_log`), in the shared database: an append takes a transaction-scoped advisory lock, so
appends from all replicas are serialised into one chain (read the head, chain to it, insert, in
one transaction; `seq` is the primary key and the evidence hash is unique), and an append of
evidence already in the log returns the existing entry. Failures raise `PenaltyLogError`, which
the policy treats as "no penalty" (a penalty without a public record could not be checked).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

from prover.crypto import Point, public_key
from prover.crypto.rln import keccak256
from prover.gateway.policy.entry import PenaltyEntry, make_entry
from prover.gateway.policy.errors import PenaltyLogError
from prover.gateway.policy.evidence import ZERO_HASH
from prover.gateway.replicas.db import SharedDb
from prover.gateway.replicas.errors import ReplicaDbError

_APPEND_LOCK: Final = 0x7A6B_706C_6F67_0001  # "zkplog" + 1: serialises appends across replicas


class PostgresPenaltyLog:
    """Implements `prover.gateway.policy.log.PenaltyLedger`."""

    def __init__(
        self, db: SharedDb, secret_key: int, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._db = db
        self._secret = secret_key
        self.server_pk: Point = public_key(secret_key)
        self._clock = clock

    def append(self, evidence: bytes) -> PenaltyEntry:
        ev_hash = "0x" + keccak256(evidence).hex()
        try:
            with self._db.tx() as conn:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_APPEND_LOCK,))
                row = conn.execute(
                    "SELECT entry FROM penalty_log WHERE evidence_hash = %s", (ev_hash,)
                ).fetchone()
                if row is not None:
                    return PenaltyEntry.model_validate_json(str(row[0]))
                last = conn.execute(
                    "SELECT entry FROM penalty_log ORDER BY seq DESC LIMIT 1"
                ).fetchone()
                if last is None:
                    seq, prev = 0, ZERO_HASH
                else:
                    head = PenaltyEntry.model_validate_json(str(last[0]))
                    seq, prev = head.seq + 1, bytes.fromhex(head.entry_hash[2:])
                entry = make_entry(self._secret, seq, prev, int(self._clock()), evidence)
                conn.execute(
                    "INSERT INTO penalty_log (seq, evidence_hash, entry) VALUES (%s, %s, %s)",
                    (seq, ev_hash, entry.model_dump_json()),
                )
                return entry
        except ReplicaDbError as exc:
            raise PenaltyLogError(f"cannot append to the penalty log: {exc}", field="log") from exc

    def _rows(self, sql: str, params: tuple[object, ...]) -> list[PenaltyEntry]:
        try:
            with self._db.tx() as conn:
                rows = conn.execute(sql, params).fetchall()
        except ReplicaDbError as exc:
            raise PenaltyLogError(f"cannot read the penalty log: {exc}", field="log") from exc
        return [PenaltyEntry.model_validate_json(str(r[0])) for r in rows]

    def entries(self, since: int = 0, limit: int = 1000) -> list[PenaltyEntry]:
        return self._rows(
            "SELECT entry FROM penalty_log WHERE seq >= %s ORDER BY seq LIMIT %s",
            (max(0, since), max(0, limit)),
        )

    def head(self) -> PenaltyEntry | None:
        rows = self._rows("SELECT entry FROM penalty_log ORDER BY seq DESC LIMIT 1", ())
        return rows[0] if rows else None

    def find(self, evidence_hash: bytes) -> PenaltyEntry | None:
        rows = self._rows(
            "SELECT entry FROM penalty_log WHERE evidence_hash = %s",
            ("0x" + evidence_hash.hex(),),
        )
        return rows[0] if rows else None

    def close(self) -> None:
        """The shared database is closed by its owner (`SharedState.close`)."""
