"""Boundary models of the nullifier store: the stored reply, records, reserve outcomes, stats."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from prover.crypto.field import P

_DECIMAL = re.compile(r"0|[1-9][0-9]{0,77}")


def _decimal_below(bound: int, what: str) -> AfterValidator:
    def check(text: str) -> str:
        if not _DECIMAL.fullmatch(text):
            raise ValueError(f"must be a decimal string without sign or leading zeros: {text!r}")
        if int(text) >= bound:
            raise ValueError(f"must be {what}: {text}")
        return text

    return AfterValidator(check)


FieldDecimal = Annotated[str, _decimal_below(P, "a canonical field element (< p)")]
Uint64Decimal = Annotated[str, _decimal_below(1 << 64, "below 2^64")]
Uint256Decimal = Annotated[str, _decimal_below(1 << 256, "below 2^256")]


def _field_int(value: int) -> int:
    if not 0 <= value < P:
        raise ValueError(f"must be a canonical field element (< p): {value}")
    return value


FieldInt = Annotated[int, Field(strict=True), AfterValidator(_field_int)]


class StoredSignature(BaseModel):
    """`σ_new` as D4's wire form: `{R8: [x, y], S}`, decimal strings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    R8: tuple[FieldDecimal, FieldDecimal]
    S: FieldDecimal


class StoredReply(BaseModel):
    """What a served ticket replies, again, to a retry and to `GET /state/{nullifier}`.

    The store treats it as opaque: it checks the shape and stores `canonical_json()`. The
    evidence hash is the 32-byte hash as a decimal integer (< 2^256); zero when `p == 0`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    cost: Uint64Decimal
    p: Uint64Decimal
    evidence_hash: Uint256Decimal
    E_new: tuple[FieldDecimal, FieldDecimal]
    sigma_new: StoredSignature

    def canonical_json(self) -> str:
        """Fixed field order, no whitespace: equal replies have equal bytes."""
        return self.model_dump_json()

    @property
    def evidence_hash_bytes(self) -> bytes:
        """The evidence hash as the 32 bytes the wire sends as `0x…` hex (D8)."""
        return int(self.evidence_hash).to_bytes(32, "big")


class Kind(StrEnum):
    CALL = "call"
    WITHDRAWAL = "withdrawal"
    DENIED = "denied"


class Status(StrEnum):
    IN_PROGRESS = "in_progress"
    SERVED = "served"  # final: a served call; withdrawals and deny entries are born final


class NullifierRecord(BaseModel):
    """One spent (or being-spent) ticket. `x`/`y` are absent only for deny-list entries,
    `E_anon` only for calls; `request_digest` (the digest `h` of the signed request the call was
    reserved for) only for calls, and for calls recorded before schema version 2."""

    model_config = ConfigDict(frozen=True)

    nullifier: FieldInt
    kind: Kind
    status: Status
    x: FieldInt | None
    y: FieldInt | None
    E_anon: tuple[FieldInt, FieldInt] | None
    reply: StoredReply | None
    created_at: datetime
    served_at: datetime | None
    request_digest: FieldInt | None = None


class Reserved(BaseModel):
    """The ticket was unseen: it is now reserved (committed durably) for this `x`, this request
    and this `E_anon`; go on."""

    model_config = ConfigDict(frozen=True)
    outcome: Literal["reserved"] = "reserved"


class Retry(BaseModel):
    """Same nullifier, `x`, request and `E_anon`, already served: send the stored reply again."""

    model_config = ConfigDict(frozen=True)
    outcome: Literal["retry"] = "retry"
    reply: StoredReply


class InProgress(BaseModel):
    """Same nullifier, `x`, request and `E_anon`, not yet served (the first call is still
    running, or was orphaned by a crash). `created_at` is when the ticket was reserved."""

    model_config = ConfigDict(frozen=True)
    outcome: Literal["in_progress"] = "in_progress"
    created_at: datetime


class TicketReserved(BaseModel):
    """Same nullifier and `x` (same one-time key), but ANOTHER request: one ticket serves one
    request. Nothing is served and nothing is slashed (no second share exists); `reply` is the
    reserved request's stored reply once it is served (None while it runs)."""

    model_config = ConfigDict(frozen=True)
    outcome: Literal["ticket_reserved"] = "ticket_reserved"
    reply: StoredReply | None


class EAnonMismatch(BaseModel):
    """Same nullifier, `x` and request, but another `E_anon` (η is a free private input, so a
    retry's proof may carry another point): refused; the retry point is the reserved one."""

    model_config = ConfigDict(frozen=True)
    outcome: Literal["e_anon_mismatch"] = "e_anon_mismatch"


class DoubleSpend(BaseModel):
    """The ticket was already spent by another share (different `x`, a withdrawal, or a slashed
    note's deny-list). `first_x`/`first_y` are the stored share, from which with the new share
    `k = (y1·x2 − y2·x1)/(x2 − x1)`; both are None for a deny-list entry (`k` is already known)."""

    model_config = ConfigDict(frozen=True)
    outcome: Literal["double_spend"] = "double_spend"
    first_kind: Kind
    first_x: FieldInt | None
    first_y: FieldInt | None

    @property
    def share(self) -> tuple[int, int] | None:
        if self.first_x is None or self.first_y is None:
            return None
        return (self.first_x, self.first_y)


ReserveOutcome = Reserved | Retry | InProgress | TicketReserved | EAnonMismatch | DoubleSpend


class WithdrawalRecorded(BaseModel):
    """The exit's ticket is recorded as spent (`already_known`: the watcher saw it before)."""

    model_config = ConfigDict(frozen=True)
    outcome: Literal["withdrawal_recorded"] = "withdrawal_recorded"
    already_known: bool


WithdrawalOutcome = WithdrawalRecorded | DoubleSpend


class StoreStats(BaseModel):
    """Counts for monitoring (`GET /metrics`-style); `oldest_in_progress` flags stuck calls."""

    model_config = ConfigDict(frozen=True)

    backend: Literal["sqlite", "postgresql"]
    schema_version: int
    calls_in_progress: int
    calls_served: int
    withdrawals: int
    denied: int
    oldest_in_progress: datetime | None

    @property
    def total(self) -> int:
        return self.calls_in_progress + self.calls_served + self.withdrawals + self.denied
