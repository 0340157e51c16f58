"""One JSON error shape with a stable code per failure (PROTOCOL §9)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

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
}


def http_status(code: ErrorCode) -> int:
    """The HTTP status every error of this code is sent with."""
    return _STATUS[code]


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: ErrorCode
    message: str
    field: str | None = None


class ErrorBody(BaseModel):
    """`{"error": {"code": ..., "message": ..., "field": ...}}` — the body of every error reply."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    error: ErrorDetail


class WireError(ZkCreditsError):
    """A request or reply that breaks the wire format or a payment rule, with its stable code."""

    def __init__(
        self, code: ErrorCode, message: str, *, field: str | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.field = field
        self._status = status  # an HTTP status other than the code's (413 for a body too large)

    def body(self) -> ErrorBody:
        return ErrorBody(error=ErrorDetail(code=self.code, message=str(self), field=self.field))

    @property
    def status(self) -> int:
        return self._status if self._status is not None else http_status(self.code)
