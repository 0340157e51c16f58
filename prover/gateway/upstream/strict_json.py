"""Strict JSON parsing of request bodies (see `prover.pricing.request_json`, which both sides
share), raising the upstream side's `RequestRefused`; and lenient parsing of upstream replies."""

from __future__ import annotations

import json
from typing import Any

from prover.gateway.upstream.errors import RequestRefused
from prover.pricing import request_json
from prover.pricing.errors import PreflightRefused


def _no_constants(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def parse_strict(body: bytes, field: str = "body") -> Any:
    """Parse UTF-8 JSON, refusing duplicate keys, NaN/Infinity, a BOM and absurd nesting."""
    try:
        return request_json.parse_strict(body, field)
    except PreflightRefused as exc:
        raise RequestRefused(str(exc), field=exc.field) from exc


def parse_lenient(body: bytes) -> Any:
    """Parse an upstream reply for metering: any failure gives None, never an exception."""
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
