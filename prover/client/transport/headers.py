"""Fixed outgoing headers (PROTOCOL §13): an allow-list, everything else is dropped.

Every request the client sends (gateway calls and chain JSON-RPC) carries only these headers:

| header | why it is allowed |
|---|---|
| `Host` | HTTP/1.1 requires it (the target's name, already known to the exit/gateway) |
| `Content-Type`, `Content-Length`, `Transfer-Encoding` | body framing |
| `Accept` | the caller asks for JSON or `text/event-stream` |
| `PAYMENT-SIGNATURE` | the x402 payment (§9) |
| `Accept-Encoding` | forced to `identity` (httpx's default depends on installed decoders) |
| `Connection` | forced to `close` (no connection reuse) |

Dropped, whatever the caller passes: `User-Agent` (httpx adds one by default), `X-Stainless-*`
(OpenAI SDK telemetry), `OpenAI-Organization`, `OpenAI-Project`, `Cookie`, `Authorization` (the
local proxy's bearer token and any upstream API key stay on this machine), and any other name.
"""

from __future__ import annotations

from collections.abc import Iterable

import httpx

ALLOWED_HEADERS: frozenset[str] = frozenset(
    {
        "host",
        "content-type",
        "content-length",
        "transfer-encoding",
        "accept",
        "payment-signature",
    }
)
"""Header names (lower case) a caller may set; their values pass unchanged."""

FORCED_HEADERS: tuple[tuple[str, str], ...] = (
    ("Accept-Encoding", "identity"),
    ("Connection", "close"),
)
"""Headers every request carries with these exact values."""


def sanitize_headers(headers: Iterable[tuple[str, str]]) -> httpx.Headers:
    """Keep only allow-listed headers (order preserved), then append the forced ones."""
    kept = [(name, value) for name, value in headers if name.lower() in ALLOWED_HEADERS]
    return httpx.Headers([*kept, *FORCED_HEADERS])


def sanitize_request(request: httpx.Request) -> None:
    """Rewrite a built request's headers in place, just before it is sent."""
    request.headers = sanitize_headers(request.headers.multi_items())
