"""Bounded JSON documents of the attestation path (evidence, collateral): one loader, one naming.

`load_object` refuses an oversized document before decoding it, then anything that is not one
JSON object; `first_error` names the first field pydantic refused (its dotted location and
message), the way every attestation error names its field.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from prover.attest.errors import AttestError


def load_object(
    data: bytes | str, *, limit: int, name: str, error: type[AttestError], field: str
) -> dict[str, Any]:
    """The JSON object in `data` (at most `limit` bytes); `error(..., field=field)` otherwise,
    its message starting with `name` ("collateral", "the attestation document")."""
    if len(data) > limit:
        raise error(f"{name} has at most {limit} bytes", field=field)
    try:
        decoded = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise error(f"{name} is not JSON: {exc}", field=field) from exc
    if not isinstance(decoded, dict):
        raise error(f"{name} is a JSON object", field=field)
    return decoded


def first_error(exc: ValidationError, default: str) -> tuple[str, ErrorDetails]:
    """The dotted location of the first refused field (`default` at the root) and its details."""
    error = exc.errors()[0]
    return ".".join(str(p) for p in error["loc"]) or default, error
