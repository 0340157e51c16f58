"""Base64-JSON header values: strict decoding with a size limit, canonical encoding."""

from __future__ import annotations

import base64
import binascii
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from prover.wire.errors import ErrorCode, WireError

MAX_HEADER_BYTES = 8192
"""Largest header value accepted (a payment is ~1.5 KiB encoded)."""

M = TypeVar("M", bound=BaseModel)


def encode_header(model: BaseModel) -> str:
    """Compact JSON (keys as declared, aliases used), then standard base64."""
    raw = model.model_dump_json(by_alias=True).encode()
    return base64.b64encode(raw).decode("ascii")


def decode_header(value: str, model: type[M], header: str) -> M:
    """Decode a header value into `model`, or raise `WireError(bad_request)` naming the header."""
    if len(value) > MAX_HEADER_BYTES:
        raise WireError(ErrorCode.BAD_REQUEST, f"{header} is longer than {MAX_HEADER_BYTES} bytes")
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise WireError(ErrorCode.BAD_REQUEST, f"{header} is not valid base64") from exc
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            raise WireError(ErrorCode.BAD_REQUEST, f"{header} is not valid JSON") from exc
        where = ".".join(str(part) for part in first["loc"]) or "(root)"
        raise WireError(
            ErrorCode.BAD_REQUEST, f"{header}: {where}: {first['msg']}", field=where
        ) from exc
