"""The nullifier store interface (PROTOCOL §16): one contract, two backends.

Semantics (both backends, checked by one conformance suite):

- linearizable: every operation takes effect atomically at one instant between its call and its
  return, in a single total order shared by all threads, processes and gateway replicas;
- durable before any reply: a method that returns has committed (fsync'd) what it changed;
- never rewound: nothing is deleted except by `prune`, which keeps in-progress calls and every
  record newer than the caller's cutoff (`note_ttl_days + exit_grace_days + exit_delay`).

Methods are synchronous and safe to call from several threads at once (each thread gets its own
database connection); a store object must not be carried across `fork()` (open one per process).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Literal, Self

from prover.gateway.store import logic
from prover.gateway.store.logic import Row
from prover.gateway.store.models import (
    Kind,
    NullifierRecord,
    ReserveOutcome,
    Status,
    StoredReply,
    StoreStats,
    WithdrawalOutcome,
)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def prune_cutoff(
    now: datetime, *, note_ttl_days: int, exit_grace_days: int, exit_delay: timedelta
) -> datetime:
    """The oldest moment a record must still cover: `now − (ttl + grace + exit_delay)`.

    A record older than this belongs to a note that has expired, passed its exit grace and any
    exit's challenge window, so its ticket can never be presented or challenged again.
    """
    return now - (timedelta(days=note_ttl_days + exit_grace_days) + exit_delay)


class NullifierStore(ABC):
    """The provider's ledger of spent tickets. Keys are canonical nullifiers (`0 ≤ n < p`)."""

    backend: Literal["sqlite", "postgresql"]

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or utc_now

    def _now_us(self) -> int:
        return logic.to_micros(self._clock())

    # -- the protocol's operations ----------------------------------------------------------

    def reserve(
        self, nullifier: int, x: int, y: int, e_anon: tuple[int, int], request_digest: int
    ) -> ReserveOutcome:
        """§6 step 3, atomically, for the call with share `(x, y)`, point `E_anon` and request
        digest `h` (D5): `Reserved` (unseen; now in progress, durably, for exactly these),
        `Retry` (same `x`, request and `E_anon`, served: the stored reply), `InProgress` (the
        same, not yet served), `TicketReserved` (same `x`, another request: nothing may be
        served), `EAnonMismatch` (same `x` and request, another `E_anon`) or `DoubleSpend`
        (another `x`, or a withdrawal or deny-list record: carries the stored share)."""
        row = logic.call_row(nullifier, x, y, e_anon, request_digest, self._now_us())
        return logic.reserve_outcome(self._insert_or_get(row), row)

    def complete(self, nullifier: int, x: int, reply: StoredReply) -> NullifierRecord:
        """§6 step 5: the reserved call is served with `reply`, durably. Idempotent for the same
        reply; refuses (typed `CompleteRefused`/`UnknownNullifier`) another `x`, another reply
        for a served ticket, or a withdrawal/deny-list record."""
        key, x = logic.canonical(nullifier, "nullifier"), logic.canonical(x, "x")
        reply_json = StoredReply.model_validate(reply).canonical_json()
        now_us = self._now_us()
        row = self._modify(key, lambda old: logic.completed(old, key, x, reply_json, now_us))
        return row.record()

    def record_withdrawal(self, nullifier_t: int, x_w: int, y_w: int) -> WithdrawalOutcome:
        """§7: the watcher saw `WithdrawalRequested(…, nullifier_t, y_w, …)`: the exit's ticket is
        spent. Idempotent for the same event; if a call (or anything else) already used that
        nullifier with another share, `DoubleSpend` carries the stored share."""
        row = logic.withdrawal_row(nullifier_t, x_w, y_w, self._now_us())
        assert row.x is not None and row.y is not None
        return logic.classify_withdrawal(self._insert_or_get(row), row.x, row.y)

    def deny(self, nullifiers: Iterable[int]) -> int:
        """§10: deny-list a slashed note's next nullifiers; returns how many were new. Existing
        records (spent tickets) are kept as they are."""
        now_us = self._now_us()
        rows = [logic.denied_row(n, now_us) for n in nullifiers]
        return self._insert_absent(rows) if rows else 0

    def get_record(self, nullifier: int) -> NullifierRecord | None:
        row = self._get(logic.canonical(nullifier, "nullifier"))
        return None if row is None else row.record()

    def get_reply(self, nullifier: int) -> StoredReply | None:
        """§9 `GET /state/{nullifier}`: the stored reply of a served call, else None."""
        row = self._get(logic.canonical(nullifier, "nullifier"))
        if row is None or row.kind is not Kind.CALL or row.status is not Status.SERVED:
            return None
        assert row.reply is not None
        return StoredReply.model_validate_json(row.reply)

    def prune(self, before: datetime) -> int:
        """Delete final records last touched before `before` (compute it with `prune_cutoff`);
        in-progress calls are never pruned. Returns how many were deleted."""
        return self._delete_final_before(logic.to_micros(before))

    def stats(self) -> StoreStats:
        counts, oldest = self._counts()
        return StoreStats(
            backend=self.backend,
            schema_version=self.schema_version(),
            calls_in_progress=counts.get((Kind.CALL, Status.IN_PROGRESS), 0),
            calls_served=counts.get((Kind.CALL, Status.SERVED), 0),
            withdrawals=counts.get((Kind.WITHDRAWAL, Status.SERVED), 0),
            denied=counts.get((Kind.DENIED, Status.SERVED), 0),
            oldest_in_progress=None if oldest is None else logic.from_micros(oldest),
        )

    # -- what a backend provides: each method is one transaction --------------------------

    @abstractmethod
    def _insert_or_get(self, row: Row) -> Row | None:
        """Insert `row` if its nullifier is absent (return None), else return the stored row."""

    @abstractmethod
    def _modify(self, nullifier: int, change: Callable[[Row | None], Row]) -> Row:
        """Lock the nullifier's row, apply `change` (it may raise: nothing is written), write its
        result if it differs, commit, return it."""

    @abstractmethod
    def _insert_absent(self, rows: list[Row]) -> int:
        """Insert each row whose nullifier is absent; return how many were inserted."""

    @abstractmethod
    def _get(self, nullifier: int) -> Row | None: ...

    @abstractmethod
    def _delete_final_before(self, cutoff_us: int) -> int: ...

    @abstractmethod
    def _counts(self) -> tuple[dict[tuple[Kind, Status], int], int | None]:
        """Record counts by (kind, status), and the oldest in-progress creation time."""

    @abstractmethod
    def schema_version(self) -> int: ...

    @abstractmethod
    def close(self) -> None:
        """Close every connection this store opened (no operation may be running)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
