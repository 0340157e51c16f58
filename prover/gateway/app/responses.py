"""Reply builders: the one error shape (D8), payment headers, the SSE payment event."""

from __future__ import annotations

from starlette.responses import Response

from prover.gateway.app.signer import to_payment_response
from prover.gateway.store import StoredReply
from prover.wire import HEADER_REQUIRED, HEADER_RESPONSE, PaymentRequired, encode_header
from prover.wire.errors import ErrorBody, ErrorCode, ErrorDetail, WireError

JSON = "application/json"
SSE_PAYMENT_EVENT = "payment-response"
"""Name of the final server-sent event of a streamed paid call; its data is the base64
`PAYMENT-RESPONSE` value (the same string the header would carry)."""


def error_body(code: ErrorCode, message: str, field: str | None = None) -> bytes:
    detail = ErrorDetail(code=code, message=message, field=field)
    return ErrorBody(error=detail).model_dump_json().encode()


def error_response(
    error: WireError, *, status: int | None = None, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        error.body().model_dump_json().encode(),
        status_code=status if status is not None else error.status,
        media_type=JSON,
        headers=headers,
    )


def payment_required(terms: PaymentRequired, message: str) -> Response:
    return error_response(
        WireError(ErrorCode.PAYMENT_REQUIRED, message),
        headers={HEADER_REQUIRED: encode_header(terms)},
    )


def payment_header(nullifier: int, reply: StoredReply) -> dict[str, str]:
    return {HEADER_RESPONSE: encode_header(to_payment_response(nullifier, reply))}


def payment_event(nullifier: int, reply: StoredReply) -> bytes:
    value = encode_header(to_payment_response(nullifier, reply))
    return f"event: {SSE_PAYMENT_EVENT}\ndata: {value}\n\n".encode("ascii")


def unavailable(message: str, *, unreserved: bool = False) -> Response:
    """503 (not synced yet, or an internal failure): retry the same request later.
    `unreserved`: refused before any ticket could be reserved (not synced); an internal failure
    may have happened after the reservation, so it does not say so."""
    return error_response(
        WireError(ErrorCode.UPSTREAM_ERROR, message, unreserved=unreserved),
        status=503,
        headers={"Retry-After": "1"},
    )
