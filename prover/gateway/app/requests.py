"""What arrived, exactly: the raw request target and the body (size-limited)."""

from __future__ import annotations

from urllib.parse import unquote

from starlette.requests import ClientDisconnect, Request
from starlette.types import Scope

from prover.wire.errors import ErrorCode, WireError


def request_target(scope: Scope) -> str:
    """The raw path with its query string, as sent (`x` hashes it, the upstream receives it).

    Servers disagree on whether `raw_path` carries the query (uvicorn: no; httpx's ASGI
    transport: yes); a raw path never holds a literal `?`, so split it off and re-join.
    Bytes are kept one-to-one (latin-1); D5 then refuses anything but visible ASCII.
    """
    raw = scope.get("raw_path") or scope["path"].encode("utf-8")
    path, _, inline_query = bytes(raw).partition(b"?")
    query = scope.get("query_string") or inline_query
    target = path + (b"?" + bytes(query) if query else b"")
    return target.decode("latin-1")


def safe_path(target: str) -> bool:
    """Refuse dot segments, empty segments and encoded separators: the price schedule matches
    path prefixes, so `/v1/chat/../admin` must not pass as a chat call."""
    path = target.split("?", 1)[0]
    for segment in [*path.split("/")[1:-1], path.rsplit("/", 1)[-1]]:
        decoded = unquote(segment, encoding="latin-1")
        if decoded in (".", "..") or "/" in decoded or "\\" in decoded:
            return False
    return "//" not in path


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refusing more than `limit` bytes (announced or actually sent)."""
    announced = request.headers.get("content-length")
    if announced is not None:
        if not announced.isdigit():
            raise WireError(ErrorCode.BAD_REQUEST, "bad Content-Length", field="content-length")
        if int(announced) > limit:
            raise WireError(
                ErrorCode.BAD_REQUEST, f"body exceeds {limit} bytes", field="body", status=413
            )
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise WireError(
                    ErrorCode.BAD_REQUEST, f"body exceeds {limit} bytes", field="body", status=413
                )
            chunks.append(chunk)
    except ClientDisconnect as exc:
        raise WireError(ErrorCode.BAD_REQUEST, "the client went away", field="body") from exc
    return b"".join(chunks)
