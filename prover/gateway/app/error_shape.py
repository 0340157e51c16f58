"""One JSON error shape for every error the gateway sends (D8), including the ones its frameworks
would answer in their own shapes: FastAPI's 404/405 and 422 validation errors, a body over the
limit (413), and headers too large for uvicorn's HTTP parser (`JsonErrorH11Protocol`)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from uvicorn.protocols.http.h11_impl import H11Protocol

from prover.gateway.app.responses import error_response
from prover.wire.errors import ErrorCode, WireError


def install_error_handlers(app: FastAPI) -> None:
    """Framework errors → `{"error": {code, message, field}}` with the framework's status."""

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        message = str(exc.detail) if exc.detail else "request refused"
        field = "path" if exc.status_code in (404, 405) else None
        return error_response(
            WireError(ErrorCode.BAD_REQUEST, message, field=field, unreserved=True),
            status=exc.status_code,
            headers=dict(exc.headers) if exc.headers else None,
        )

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(part) for part in first.get("loc", ()) if part not in ("query", "path", "body")]
        field = ".".join(loc) or None
        message = f"{field}: {first.get('msg', 'invalid')}" if field else "invalid request"
        return error_response(
            WireError(ErrorCode.BAD_REQUEST, message, field=field, unreserved=True), status=422
        )

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)


class JsonErrorH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, answering a request it cannot parse (headers over the limit,
    malformed request line) with the one error shape instead of a plain-text 400."""

    def send_400_response(self, msg: str) -> None:
        import h11

        error = WireError(
            ErrorCode.BAD_REQUEST, f"{msg} (headers too large or malformed)", unreserved=True
        )
        body = error.body().model_dump_json().encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode("ascii")),
            (b"connection", b"close"),
        ]
        self.transport.write(self.conn.send(h11.Response(status_code=400, headers=headers)))
        self.transport.write(self.conn.send(h11.Data(data=body)))
        self.transport.write(self.conn.send(h11.EndOfMessage()))
        self.transport.close()
