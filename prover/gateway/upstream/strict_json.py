"""Strict JSON parsing of request bodies: the gateway must read a body the way any upstream would.

Python's `json` silently keeps the *last* of duplicate keys, accepts `NaN`/`Infinity` and sniffs
UTF-16/32 from `bytes`; an upstream may keep the first key or refuse the body. A work cap checked
on one reading and served on another is no cap, so every ambiguity is refused here.
"""

from __future__ import annotations

import json
from typing import Any

from prover.gateway.upstream.errors import RequestRefused


class _Duplicate(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(key)
        out[key] = value
    return out


def _no_constants(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def parse_strict(body: bytes, field: str = "body") -> Any:
    """Parse UTF-8 JSON, refusing duplicate keys, NaN/Infinity, a BOM and absurd nesting."""
    try:
        text = body.decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise RequestRefused(f"{field} is not UTF-8: {exc.reason}", field=field) from exc
    if text.startswith("\ufeff"):
        raise RequestRefused(f"{field} starts with a byte-order mark", field=field)
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except _Duplicate as exc:
        raise RequestRefused(f"{field} repeats the key {exc.args[0]!r}", field=field) from exc
    except RecursionError as exc:
        raise RequestRefused(f"{field} is nested too deeply", field=field) from exc
    except ValueError as exc:
        raise RequestRefused(f"{field} is not valid JSON: {exc}", field=field) from exc


def parse_lenient(body: bytes) -> Any:
    """Parse an upstream reply for metering: any failure gives None, never an exception."""
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
