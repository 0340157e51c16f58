"""Timing and counting wrappers around the pipeline's collaborators (for `GatewayMetrics`).

The pipeline itself knows nothing of metrics: `create_app` wraps the verifier, the signer and
the nullifier store it is given. `MeteredStore` is a `NullifierStore` whose storage primitives
are the wrapped store's (so a backend's own transaction rules, e.g. SQLite's group commit, are
unchanged), timed per operation; `reserve` outcomes and completed replies are counted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from prover.crypto.babyjub import Point
from prover.gateway.app.metrics import GatewayMetrics
from prover.gateway.app.signer import StateSigner
from prover.gateway.app.verify import VerifyFn
from prover.gateway.ports import PolicyDecision
from prover.gateway.store import (
    DoubleSpend,
    EAnonMismatch,
    InProgress,
    Kind,
    NullifierRecord,
    NullifierStore,
    Reserved,
    ReserveOutcome,
    Retry,
    Status,
    StoredReply,
    TicketReserved,
)
from prover.gateway.store.logic import Row

_OUTCOMES: dict[type, str] = {
    Reserved: "reserved",
    Retry: "retry",
    InProgress: "in_progress",
    DoubleSpend: "double_spend",
    TicketReserved: "ticket_reserved",
    EAnonMismatch: "e_anon_mismatch",
}


def metered_verify(verify: VerifyFn, metrics: GatewayMetrics) -> VerifyFn:
    def timed(proof: bytes, signals: Sequence[int]) -> bool:
        with metrics.timed(metrics.verify_seconds):
            return verify(proof, signals)

    return timed


class MeteredSigner(StateSigner):
    def __init__(self, server_secret: int, service_id: int, metrics: GatewayMetrics) -> None:
        super().__init__(server_secret, service_id)
        self._metrics = metrics

    def next_state(self, e_anon: Point, cost: int, decision: PolicyDecision) -> StoredReply:
        with self._metrics.timed(self._metrics.sign_seconds):
            return super().next_state(e_anon, cost, decision)


class MeteredStore(NullifierStore):
    """`MeteredStore(store, metrics)`: the same store, timed and counted."""

    def __init__(self, inner: NullifierStore, metrics: GatewayMetrics) -> None:
        super().__init__(inner._clock)
        self.inner = inner
        self.backend = inner.backend
        self._m = metrics

    def reserve(
        self, nullifier: int, x: int, y: int, e_anon: tuple[int, int], request_digest: int
    ) -> ReserveOutcome:
        outcome = super().reserve(nullifier, x, y, e_anon, request_digest)
        self._m.paid_calls.labels(outcome=_OUTCOMES.get(type(outcome), "other")).inc()
        return outcome

    def complete(self, nullifier: int, x: int, reply: StoredReply) -> NullifierRecord:
        record = super().complete(nullifier, x, reply)
        cost, penalty = int(reply.cost), int(reply.p)
        result = "penalised" if penalty else "charged" if cost else "free"
        self._m.settled.labels(result=result).inc()
        self._m.charged.inc(cost)
        self._m.penalties.inc(penalty)
        return record

    def _insert_or_get(self, row: Row) -> Row | None:
        with self._m.timed(self._m.store_seconds, op="reserve"):
            return self.inner._insert_or_get(row)

    def _modify(self, nullifier: int, change: Callable[[Row | None], Row]) -> Row:
        with self._m.timed(self._m.store_seconds, op="complete"):
            return self.inner._modify(nullifier, change)

    def _insert_absent(self, rows: list[Row]) -> int:
        return self.inner._insert_absent(rows)

    def _get(self, nullifier: int) -> Row | None:
        with self._m.timed(self._m.store_seconds, op="read"):
            return self.inner._get(nullifier)

    def _delete_final_before(self, cutoff_us: int) -> int:
        return self.inner._delete_final_before(cutoff_us)

    def _counts(self) -> tuple[dict[tuple[Kind, Status], int], int | None]:
        return self.inner._counts()

    def schema_version(self) -> int:
        return self.inner.schema_version()

    def close(self) -> None:
        self.inner.close()
