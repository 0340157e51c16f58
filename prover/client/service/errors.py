"""OpenAI-shaped error replies of the local proxy: `{"error": {message, type, code, param}}`.

Each cause keeps its own `code` (`prover.client.why_not` for "no note can pay": `no_deposit`,
`credit_exhausted`, `note_expired`, `ticket_pending`, `checkpoint_pending`), so an agent can
branch on it; `checkpoint_pending` also sends `Retry-After` (seconds). `explain` names what a
bare chain-view failure means: no accepted checkpoint yet (then why no note can pay), or a chain
RPC that does not answer (`chain_unreachable`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import JSONResponse

from prover.chain.mirror.errors import MirrorRpcError
from prover.client.errors import ChainUnreachableError, ChainViewError, ClientError, WhyNotError
from prover.client.transport.errors import TransportError
from prover.client.wallet import (
    InsufficientCreditError,
    NoteBusyError,
    NoteExpiredError,
    NoteStatusError,
    WalletError,
)
from prover.errors import ZkCreditsError

if TYPE_CHECKING:
    from prover.client.service.ledger import ProxyLedger

_WALLET = {
    NoteBusyError: (429, "rate_limit_error", "notes_busy"),
    InsufficientCreditError: (402, "insufficient_quota", "insufficient_quota"),
    NoteExpiredError: (402, "insufficient_quota", "note_expired"),
    NoteStatusError: (409, "api_error", "note_status"),
}


def error_payload(
    status: int,
    kind: str,
    code: str,
    message: str,
    param: str | None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"message": message, "type": kind, "code": code, "param": param}}
    return JSONResponse(body, status_code=status, headers=headers)


def explain(exc: BaseException, ledger: ProxyLedger | None) -> BaseException:
    """A more specific error for what the payer raised, when there is one."""
    if not isinstance(exc, ChainViewError):
        return exc
    if isinstance(exc.__cause__, MirrorRpcError):
        return ChainUnreachableError(
            f"the chain RPC does not answer ({exc}): nothing was paid, retry later",
            field="rpc_url",
        )
    if exc.field == "root" and ledger is not None:
        try:
            return ledger.no_checkpoint()
        except ZkCreditsError:
            return exc
    return exc


def error_response(exc: BaseException) -> JSONResponse:
    """The reply for an error raised while serving a call (never a traceback)."""
    if isinstance(exc, ClientError):
        headers = None
        if isinstance(exc, WhyNotError) and exc.retry_after_s is not None:
            headers = {"Retry-After": str(exc.retry_after_s)}
        return error_payload(exc.status, exc.kind, exc.code, str(exc), exc.field, headers)
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
