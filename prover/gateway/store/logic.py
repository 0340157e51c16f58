"""Backend-independent rules of the store: value checks, rows, and every decision it takes.

Backends only move rows in and out of one transaction; what a row means (which outcome a
reservation gets, whether a completion is allowed) is decided here, once, for both.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from prover.crypto.field import P
from prover.gateway.store.errors import (
    NonCanonicalValue,
    NotACall,
    ReplyConflict,
    RequestMismatch,
    StoreError,
    UnknownNullifier,
)
from prover.gateway.store.models import (
    DoubleSpend,
    EAnonMismatch,
    InProgress,
    Kind,
    NullifierRecord,
    Reserved,
    ReserveOutcome,
    Retry,
    Status,
    StoredReply,
    TicketReserved,
    WithdrawalOutcome,
    WithdrawalRecorded,
)


def canonical(value: object, name: str) -> int:
    """`value` if it is an int (not a bool) in [0, p); `NonCanonicalValue` otherwise."""
    if type(value) is not int:
        raise NonCanonicalValue(
            f"{name} must be an int field element, got {type(value).__name__}", field=name
        )
    if not 0 <= value < P:
        raise NonCanonicalValue(f"{name} is not a canonical field element: {value}", field=name)
    return value


def to_micros(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise StoreError(f"timestamps must be timezone-aware, got naive {moment.isoformat()}")
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    return datetime.fromtimestamp(micros // 1_000_000, tz=UTC).replace(
        microsecond=micros % 1_000_000
    )


@dataclass(frozen=True)
class Row:
    """One record as the backends store it (field elements as ints, reply as canonical JSON)."""

    nullifier: int
    kind: Kind
    status: Status
    x: int | None
    y: int | None
    e_anon_x: int | None
    e_anon_y: int | None
    reply: str | None
    created_us: int
    served_us: int | None
    request_digest: int | None = None

    def record(self) -> NullifierRecord:
        e_anon = None
        if self.e_anon_x is not None and self.e_anon_y is not None:
            e_anon = (self.e_anon_x, self.e_anon_y)
        return NullifierRecord(
            nullifier=self.nullifier,
            kind=self.kind,
            status=self.status,
            x=self.x,
            y=self.y,
            E_anon=e_anon,
            reply=None if self.reply is None else StoredReply.model_validate_json(self.reply),
            created_at=from_micros(self.created_us),
            served_at=None if self.served_us is None else from_micros(self.served_us),
            request_digest=self.request_digest,
        )


def call_row(
    nullifier: int, x: int, y: int, e_anon: tuple[int, int], request_digest: int, now_us: int
) -> Row:
    if not isinstance(e_anon, tuple | list) or len(e_anon) != 2:
        raise NonCanonicalValue(f"E_anon must be a point (x, y), got {e_anon!r}", field="E_anon")
    return Row(
        nullifier=canonical(nullifier, "nullifier"),
        kind=Kind.CALL,
        status=Status.IN_PROGRESS,
        x=canonical(x, "x"),
        y=canonical(y, "y"),
        e_anon_x=canonical(e_anon[0], "E_anon.x"),
        e_anon_y=canonical(e_anon[1], "E_anon.y"),
        reply=None,
        created_us=now_us,
        served_us=None,
        request_digest=canonical(request_digest, "request_digest"),
    )


def withdrawal_row(nullifier: int, x_w: int, y_w: int, now_us: int) -> Row:
    return Row(
        nullifier=canonical(nullifier, "nullifier_t"),
        kind=Kind.WITHDRAWAL,
        status=Status.SERVED,
        x=canonical(x_w, "x_w"),
        y=canonical(y_w, "y_w"),
        e_anon_x=None,
        e_anon_y=None,
        reply=None,
        created_us=now_us,
        served_us=now_us,
    )


def denied_row(nullifier: int, now_us: int) -> Row:
    return Row(
        nullifier=canonical(nullifier, "nullifier"),
        kind=Kind.DENIED,
        status=Status.SERVED,
        x=None,
        y=None,
        e_anon_x=None,
        e_anon_y=None,
        reply=None,
        created_us=now_us,
        served_us=now_us,
    )


def double_spend(existing: Row) -> DoubleSpend:
    return DoubleSpend(first_kind=existing.kind, first_x=existing.x, first_y=existing.y)


def _stored_reply(row: Row) -> StoredReply | None:
    return None if row.reply is None else StoredReply.model_validate_json(row.reply)


def classify_reserve(existing: Row, new: Row) -> ReserveOutcome:
    """The outcome of reserving a nullifier that `existing` already holds, for the call `new`.

    Another `x` (another one-time key: a second share) or a non-call record is a double spend.
    The same `x` is the same key: another request is `TicketReserved` (one ticket, one request;
    a record from before schema 2 has no digest, and its v2 `x` hashed its request, so the same
    `x` is the same request); the same request with another `E_anon` is `EAnonMismatch` (the
    retry point is fixed at reservation); else a retry: the stored reply, or `InProgress`.
    """
    if existing.kind is not Kind.CALL or existing.x != new.x:
        return double_spend(existing)
    if existing.request_digest is not None and existing.request_digest != new.request_digest:
        return TicketReserved(reply=_stored_reply(existing))
    if (existing.e_anon_x, existing.e_anon_y) != (new.e_anon_x, new.e_anon_y):
        return EAnonMismatch()
    reply = _stored_reply(existing)
    if existing.status is Status.IN_PROGRESS or reply is None:
        return InProgress(created_at=from_micros(existing.created_us))
    return Retry(reply=reply)


def reserve_outcome(existing: Row | None, new: Row) -> ReserveOutcome:
    return Reserved() if existing is None else classify_reserve(existing, new)


def classify_withdrawal(existing: Row | None, x_w: int, y_w: int) -> WithdrawalOutcome:
    if existing is None:
        return WithdrawalRecorded(already_known=False)
    if existing.kind is Kind.WITHDRAWAL and existing.x == x_w and existing.y == y_w:
        return WithdrawalRecorded(already_known=True)
    return double_spend(existing)


def completed(existing: Row | None, nullifier: int, x: int, reply_json: str, now_us: int) -> Row:
    """The row after completing `existing` with this reply (`existing` itself when idempotent).

    Raises the typed refusal otherwise; the caller's transaction then writes nothing.
    """
    if existing is None:
        raise UnknownNullifier(f"nullifier {nullifier} was never reserved")
    if existing.kind is not Kind.CALL:
        raise NotACall(f"nullifier {nullifier} is a {existing.kind.value} record, not a call")
    if existing.x != x:
        raise RequestMismatch(f"nullifier {nullifier} was reserved for x={existing.x}, not x={x}")
    if existing.status is Status.SERVED:
        if existing.reply != reply_json:
            raise ReplyConflict(f"nullifier {nullifier} was already served with another reply")
        return existing
    return replace(existing, status=Status.SERVED, reply=reply_json, served_us=now_us)
