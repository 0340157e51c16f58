"""Base64-JSON header values: strict decoding with a size limit, canonical encoding.

Strict means one value has one encoding: canonical standard base64 (padding as `b64encode`
writes it, zero pad bits, no whitespace), UTF-8 JSON with no duplicate keys, no floats or
exponents, no NaN, and every field validated in pydantic's strict mode (an integer is a JSON
integer, never `"20000"` or `20000.0`). Each breach is `bad_request` naming the field.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from prover.plumbing.errors import JsonDuplicateKeyError, JsonNonIntegerError
from prover.plumbing.strict_json import loads_strict
from prover.wire.errors import ErrorCode, WireError

MAX_HEADER_BYTES = 8192
"""Largest header value accepted (a payment is ~1.5 KiB encoded)."""

M = TypeVar("M", bound=BaseModel)


def encode_header(model: BaseModel) -> str:
    """Compact JSON (keys as declared, aliases used), then standard base64."""
    raw = model.model_dump_json(by_alias=True).encode()
    return base64.b64encode(raw).decode("ascii")


def _find_key(value: Any, key: str, path: tuple[str, ...] = ()) -> str:
    """The dotted path of the first object holding `key` (to name a duplicated field)."""
    if isinstance(value, dict):
        if key in value:
            return ".".join((*path, key))
        for k, v in value.items():
            found = _find_key(v, key, (*path, k))
            if found:
                return found
    if isinstance(value, list):
        for i, v in enumerate(value):
            found = _find_key(v, key, (*path, str(i)))
            if found:
                return found
    return ""


def _strict_json(raw: bytes, header: str) -> None:
    """Refuse duplicate keys and non-integer numbers anywhere in the JSON (pydantic's parser
    keeps the last duplicate silently)."""
    try:
        text = raw.decode("utf-8")
        loads_strict(text, integers_only=True)
    except JsonDuplicateKeyError as exc:
        key = exc.key
        lenient = json.loads(text)
        where = _find_key(lenient, key) or key
        raise WireError(
            ErrorCode.BAD_REQUEST, f"{header}: {where} appears twice", field=where
        ) from exc
    except JsonNonIntegerError as exc:
        raise WireError(
            ErrorCode.BAD_REQUEST, f"{header}: the number {exc.text} is not a plain integer"
        ) from exc
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WireError(ErrorCode.BAD_REQUEST, f"{header} is not valid JSON") from exc


def decode_header(value: str, model: type[M], header: str) -> M:
    """Decode a header value into `model`, or raise `WireError(bad_request)` naming the field."""
    if len(value) > MAX_HEADER_BYTES:
        raise WireError(ErrorCode.BAD_REQUEST, f"{header} is longer than {MAX_HEADER_BYTES} bytes")
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise WireError(ErrorCode.BAD_REQUEST, f"{header} is not valid base64") from exc
    if base64.b64encode(raw).decode("ascii") != value:
        raise WireError(
            ErrorCode.BAD_REQUEST, f"{header} is not canonical base64 (padding or pad bits)"
        )
    _strict_json(raw, header)
    try:
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            raise WireError(ErrorCode.BAD_REQUEST, f"{header} is not valid JSON") from exc
        where = ".".join(str(part) for part in first["loc"]) or "(root)"
        raise WireError(
            ErrorCode.BAD_REQUEST, f"{header}: {where}: {first['msg']}", field=where
        ) from exc
