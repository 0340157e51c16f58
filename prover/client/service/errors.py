"""OpenAI-shaped error replies of the local proxy: `{"error": {message, type, code, param}}`."""

from __future__ import annotations

from starlette.responses import JSONResponse

from prover.client.client_errors import ClientError
from prover.client.transport_errors import TransportError
from prover.client.wallet import (
    InsufficientCreditError,
    NoteBusyError,
    NoteExpiredError,
    NoteStatusError,
    WalletError,
)
from prover.errors import ZkCreditsError

_WALLET = {
    NoteBusyError: (429, "rate_limit_error", "notes_busy"),
    InsufficientCreditError: (402, "insufficient_quota", "insufficient_quota"),
    NoteExpiredError: (402, "insufficient_quota", "note_expired"),
    NoteStatusError: (409, "api_error", "note_status"),
}


def error_payload(
    status: int, kind: str, code: str, message: str, param: str | None
) -> JSONResponse:
    body = {"error": {"message": message, "type": kind, "code": code, "param": param}}
    return JSONResponse(body, status_code=status)


def error_response(exc: BaseException) -> JSONResponse:
    """The reply for an error raised while serving a call (never a traceback)."""
    if isinstance(exc, ClientError):
        return error_payload(exc.status, exc.kind, exc.code, str(exc), exc.field)
    if isinstance(exc, WalletError):
        for kind, (status, etype, code) in _WALLET.items():
            if isinstance(exc, kind):
                return error_payload(status, etype, code, str(exc), exc.field)
        return error_payload(500, "api_error", "wallet_error", str(exc), exc.field)
    if isinstance(exc, TransportError):
        return error_payload(504, "api_error", "gateway_unreachable", str(exc), None)
    if isinstance(exc, ZkCreditsError):
        return error_payload(500, "api_error", "internal_error", str(exc), None)
    return error_payload(500, "api_error", "internal_error", "internal error of the proxy", None)


def sse_error(exc: BaseException) -> bytes:
    """A final `data: {"error": …}` event for a stream that failed after it started."""
    response = error_response(exc)
    return b"data: " + bytes(response.body) + b"\n\n"
