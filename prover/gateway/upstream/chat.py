"""The upstream's own re-check of a work cap, just before forwarding (defence in depth).

The pipeline refuses any request whose worst case exceeds `c_max` before reservation
(`prover.pricing.preflight.check`); `HttpUpstream` re-checks the one thing that bounds the work it
is about to ask for: a chat body must be a strict JSON object whose output cap
(`max(max_tokens, max_completion_tokens) × n`) is within the cap the pipeline computed.
"""

from __future__ import annotations

from typing import Any

from prover.gateway.upstream.errors import RequestRefused
from prover.gateway.upstream.strict_json import parse_strict
from prover.pricing.preflight import CAP_FIELDS
from prover.pricing.schedule import PriceRoute, RouteKind

__all__ = ["CAP_FIELDS", "check_request", "wants_stream"]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _object(body: bytes) -> dict[str, Any]:
    parsed = parse_strict(body)
    if not isinstance(parsed, dict):
        raise RequestRefused("body must be a JSON object", field="body")
    return parsed


def check_request(body: bytes, route: PriceRoute, max_output_tokens: int) -> None:
    """Raise `RequestRefused` unless a chat body's output is capped within `max_output_tokens`
    (an embeddings body must be a JSON object with `input`; plain HTTP is not checked)."""
    if route.kind is RouteKind.EMBEDDINGS:
        if "input" not in _object(body):
            raise RequestRefused("input is required", field="input")
        return
    if route.kind is not RouteKind.CHAT:
        return
    req = _object(body)
    caps = [req[name] for name in CAP_FIELDS if req.get(name) is not None]
    if not caps or not all(_is_int(c) and c >= 1 for c in caps):
        raise RequestRefused("a chat call needs a positive max_tokens", field="max_tokens")
    n = req.get("n", 1)
    n = 1 if n is None else n
    if not _is_int(n) or n < 1:
        raise RequestRefused(f"n must be a positive integer, got {n!r}", field="n")
    if max(caps) * n > max_output_tokens:
        raise RequestRefused(
            f"output cap {max(caps)} × n={n} exceeds {max_output_tokens}", field="max_tokens"
        )


def wants_stream(body: bytes) -> bool:
    """True if a (checked) chat body asks for a streamed reply: use `forward_stream` then."""
    try:
        req = parse_strict(body)
    except RequestRefused:
        return False
    return isinstance(req, dict) and req.get("stream") is True
