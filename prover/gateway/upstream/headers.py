"""The fixed header set the gateway sends upstream (PROTOCOL §13): nothing of the client's.

The gateway never copies a client header upstream: only `Content-Type` (of the canonical bytes),
`Accept` and `Accept-Encoding: identity` (so the response-size limit counts what the client gets
and no compressed bomb is inflated), plus headers the operator configures (the gateway's own
upstream API key). Configured headers may not be hop-by-hop or identifying ones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from prover.gateway.upstream.errors import UpstreamConfigError

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
IDENTIFYING = frozenset(
    {
        "user-agent",
        "cookie",
        "forwarded",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "x-real-ip",
        "via",
        "referer",
        "origin",
        "openai-organization",
        "openai-project",
    }
)
_IDENTIFYING_PREFIXES = ("x-stainless-", "sec-")
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_VALUE = re.compile(r"^[\x20-\x7e]*$")
_CONTENT_TYPE = re.compile(r"^[\x21-\x7e][\x20-\x7e]{0,199}$")


def is_forbidden(name: str) -> bool:
    """Hop-by-hop or identifying: never sent upstream, never configurable."""
    low = name.lower()
    return low in HOP_BY_HOP or low in IDENTIFYING or low.startswith(_IDENTIFYING_PREFIXES)


def configured_headers(extra: Mapping[str, str] | None) -> dict[str, str]:
    """Validate operator-configured headers (e.g. `Authorization` for the upstream)."""
    out: dict[str, str] = {}
    for name, value in (extra or {}).items():
        if not _TOKEN.match(name) or not _VALUE.match(value):
            raise UpstreamConfigError(f"header {name!r} is malformed", field="headers")
        if is_forbidden(name) or name.lower() in {"content-type", "accept", "accept-encoding"}:
            raise UpstreamConfigError(f"header {name!r} may not be configured", field="headers")
        out[name] = value
    return out


def request_headers(content_type: str | None, extra: Mapping[str, str]) -> dict[str, str]:
    """The complete outgoing header set of one forwarded call (httpx adds Host, Content-Length)."""
    headers = {"Accept": "*/*", "Accept-Encoding": "identity", **extra}
    if content_type is not None:
        if not _CONTENT_TYPE.match(content_type):
            raise UpstreamConfigError(
                f"content type {content_type!r} is not printable ASCII", field="content_type"
            )
        headers["Content-Type"] = content_type
    return headers


def reply_content_type(value: str | None) -> str:
    """The upstream's content type if printable ASCII, else `application/octet-stream`."""
    if value is not None and _CONTENT_TYPE.match(value):
        return value
    return "application/octet-stream"
