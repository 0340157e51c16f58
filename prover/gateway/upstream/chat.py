"""The work cap of chat completions, checked before any proving is spent (PROTOCOL §6 step 4).

A chat call's cost grows with its output, so the gateway only sells calls whose output is bounded
by the route's `max_output_tokens` (D9): the request itself must carry `max_tokens` or
`max_completion_tokens` within the cap, and ask for one choice. `HttpUpstream` enforces the same cap
again on the reply (it counts streamed output and cuts the stream there).
"""

from __future__ import annotations

from typing import Any

from prover.gateway.upstream.errors import RequestRefused
from prover.gateway.upstream.strict_json import parse_strict
from prover.pricing.schedule import PriceRoute, RouteKind

CAP_FIELDS = ("max_tokens", "max_completion_tokens")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _object(body: bytes) -> dict[str, Any]:
    parsed = parse_strict(body)
    if not isinstance(parsed, dict):
        raise RequestRefused("body must be a JSON object", field="body")
    return parsed


def check_chat_request(body: bytes, route: PriceRoute) -> None:
    """Raise `RequestRefused` unless `body` is a chat request whose output is capped by `route`.

    Rules: strict JSON object (no duplicate keys, see `strict_json`); `messages` a list; at least
    one of `max_tokens`/`max_completion_tokens`, each present one an int in
    `[1, route.max_output_tokens]`; `n` absent or 1; `stream` absent or a boolean.
    """
    if route.kind is not RouteKind.CHAT:
        raise RequestRefused(f"route {route.path} is {route.kind.value}, not chat", field="route")
    cap = route.max_output_tokens
    req = _object(body)
    if not isinstance(req.get("messages"), list):
        raise RequestRefused("messages must be a list", field="messages")
    present = [name for name in CAP_FIELDS if req.get(name) is not None]
    if not present:
        raise RequestRefused(
            f"max_tokens or max_completion_tokens is required (at most {cap})", field="max_tokens"
        )
    for name in present:
        value = req[name]
        if not _is_int(value) or not 1 <= value <= cap:
            raise RequestRefused(f"{name} must be an int in [1, {cap}], got {value!r}", field=name)
    n = req.get("n")
    if n is not None and (not _is_int(n) or n != 1):
        raise RequestRefused(f"n must be 1, got {n!r}", field="n")
    stream = req.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise RequestRefused(f"stream must be a boolean, got {stream!r}", field="stream")
    options = req.get("stream_options")
    if options is not None and not isinstance(options, dict):
        raise RequestRefused("stream_options must be an object", field="stream_options")


def check_embeddings_request(body: bytes, route: PriceRoute) -> None:
    """Raise `RequestRefused` unless `body` is a strict JSON object with an `input`."""
    if route.kind is not RouteKind.EMBEDDINGS:
        raise RequestRefused(
            f"route {route.path} is {route.kind.value}, not embeddings", field="route"
        )
    req = _object(body)
    if "input" not in req:
        raise RequestRefused("input is required", field="input")


def check_request(body: bytes, route: PriceRoute) -> None:
    """The pre-proving check for any route: chat and embeddings as above, plain HTTP accepted."""
    if route.kind is RouteKind.CHAT:
        check_chat_request(body, route)
    elif route.kind is RouteKind.EMBEDDINGS:
        check_embeddings_request(body, route)


def wants_stream(body: bytes) -> bool:
    """True if a (checked) chat body asks for a streamed reply: use `forward_stream` then."""
    try:
        req = parse_strict(body)
    except RequestRefused:
        return False
    return isinstance(req, dict) and req.get("stream") is True
