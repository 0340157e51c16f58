"""One JSON error shape with a stable code per failure (PROTOCOL §9)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

from prover.errors import ZkCreditsError


class ErrorCode(StrEnum):
    """Stable error codes. The first ten are PROTOCOL §9's; the others are ours (docs, D8)."""

    INVALID_PROOF = "invalid_proof"
    STALE_ROOT = "stale_root"  # never carries the root the client used
    REPLAY = "replay"
    IN_PROGRESS = "in_progress"
    DOUBLE_SPEND = "double_spend"
    INSUFFICIENT_CREDIT = "insufficient_credit"
    NOTE_EXPIRED = "note_expired"
    BAD_REQUEST = "bad_request"
    UPSTREAM_ERROR = "upstream_error"
    RESPONSE_EXPIRED = "response_expired"
    PAYMENT_REQUIRED = "payment_required"
    RATE_LIMITED = "rate_limited"
    NOT_ATTESTED = "not_attested"  # the gateway publishes no TEE attestation (docs/tee.md)
    # pre-flight refusals (before reservation: the ticket stays free), `prover.pricing.preflight`
    COST_EXCEEDS_C_MAX = "cost_exceeds_c_max"
    REPLY_TOO_LARGE = "reply_too_large"
    UNKNOWN_MODEL = "unknown_model"
    # after reservation, with a signed state (`docs/failure-costs.md`)
    REPLY_OVER_LIMIT = "reply_over_limit"  # the reply outgrew the limit: charged the worst case
    POLICY_VIOLATION = "policy_violation"  # penalised, never forwarded upstream
    CHAIN_UNAVAILABLE = "chain_unavailable"  # the gateway's chain view is stale: nothing served
    UPSTREAM_UNAVAILABLE = "upstream_unavailable"  # the upstream does not answer: not reserved
    # v3 one-time keys (§6 step 1, §8) and the reserve outcomes of §6 step 3
    INVALID_SIGNATURE = "invalid_signature"  # the ticket key's signature over the request fails
    KEY_MISMATCH = "key_mismatch"  # the one-time key `pk` does not hash to the proof's `x`
    TICKET_RESERVED = "ticket_reserved"  # same x, another request: nothing served, no slash
    E_ANON_MISMATCH = "e_anon_mismatch"  # a retry whose E_anon is not the reserved one


_STATUS = {
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.PAYMENT_REQUIRED: 402,
    ErrorCode.INVALID_PROOF: 402,
    ErrorCode.STALE_ROOT: 402,
    ErrorCode.INSUFFICIENT_CREDIT: 402,
    ErrorCode.NOTE_EXPIRED: 402,
    ErrorCode.REPLAY: 409,
    ErrorCode.IN_PROGRESS: 409,
    ErrorCode.DOUBLE_SPEND: 409,
    ErrorCode.RESPONSE_EXPIRED: 410,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.UPSTREAM_ERROR: 502,
    ErrorCode.NOT_ATTESTED: 404,
    ErrorCode.COST_EXCEEDS_C_MAX: 400,
    ErrorCode.REPLY_TOO_LARGE: 400,
    ErrorCode.UNKNOWN_MODEL: 400,
    ErrorCode.REPLY_OVER_LIMIT: 502,
    ErrorCode.POLICY_VIOLATION: 403,
    ErrorCode.CHAIN_UNAVAILABLE: 503,
    ErrorCode.UPSTREAM_UNAVAILABLE: 503,
    ErrorCode.INVALID_SIGNATURE: 402,
    ErrorCode.KEY_MISMATCH: 402,
    ErrorCode.TICKET_RESERVED: 409,
    ErrorCode.E_ANON_MISMATCH: 409,
}


def http_status(code: ErrorCode) -> int:
    """The HTTP status every error of this code is sent with."""
    return _STATUS[code]


UNRESERVED: Final[Literal["unreserved"]] = "unreserved"
"""`error.ticket` of a refusal made before §6 step 3: the gateway did NOT reserve the ticket, so
its client may send the same ticket (same key, same share) again, with this or another request."""


class ErrorDetail(BaseModel):
    """`{code, message, field}`, plus `ticket: "unreserved"` on every refusal the gateway made
    before reserving the ticket (absent otherwise: reserved, or not known)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: ErrorCode
    message: str
    field: str | None = None
    ticket: Literal["unreserved"] | None = None

    @model_serializer(mode="wrap")
    def _drop_absent_ticket(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("ticket") is None:
            data.pop("ticket", None)
        return data


class ErrorBody(BaseModel):
    """`{"error": {"code": ..., "message": ..., "field": ...}}` — the body of every error reply."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    error: ErrorDetail


class WireError(ZkCreditsError):
    """A request or reply that breaks the wire format or a payment rule, with its stable code."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        field: str | None = None,
        status: int | None = None,
        unreserved: bool = False,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.field = field
        self._status = status  # an HTTP status other than the code's (413 for a body too large)
        self.unreserved = unreserved

    def body(self) -> ErrorBody:
        ticket: Literal["unreserved"] | None = UNRESERVED if self.unreserved else None
        detail = ErrorDetail(code=self.code, message=str(self), field=self.field, ticket=ticket)
        return ErrorBody(error=detail)

    def before_reserve(self) -> WireError:
        """This refusal was made before the ticket was reserved (marks it, returns it)."""
        self.unreserved = True
        return self

    @property
    def status(self) -> int:
        return self._status if self._status is not None else http_status(self.code)
