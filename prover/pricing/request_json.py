"""Strict JSON decoding of request bodies, and their canonical decoded text.

Python's `json` silently keeps the *last* of duplicate keys, accepts `NaN`/`Infinity` and sniffs
UTF-16/32 from `bytes`; an upstream may keep the first key or refuse the body. A work cap or a
policy rule checked on one reading and served on another is no rule, so every ambiguity is
refused here. `canonical_text` is what policy rules and the pre-flight's input bound read: the
decoded request (escapes resolved) with every string normalised to Unicode NFKC, as compact JSON
with sorted keys and non-ASCII kept as is.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from prover.plumbing.errors import JsonDuplicateKeyError
from prover.plumbing.strict_json import loads_strict
from prover.pricing.errors import PreflightRefused, Refusal


def _refused(message: str, field: str) -> PreflightRefused:
    return PreflightRefused(Refusal.BAD_REQUEST, message, field=field)


def parse_strict(body: bytes, field: str = "body") -> Any:
    """Parse UTF-8 JSON, refusing duplicate keys, NaN/Infinity/overflowing numbers, a BOM and
    absurd nesting (`PreflightRefused`, reason `bad_request`, naming `field`)."""
    try:
        text = body.decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise _refused(f"{field} is not UTF-8: {exc.reason}", field) from exc
    if text.startswith("\ufeff"):
        raise _refused(f"{field} starts with a byte-order mark", field)
    try:
        return loads_strict(text, integers_only=False)
    except JsonDuplicateKeyError as exc:
        raise _refused(f"{field} repeats the key {exc.key!r}", field) from exc
    except RecursionError as exc:
        raise _refused(f"{field} is nested too deeply", field) from exc
    except ValueError as exc:
        raise _refused(f"{field} is not valid JSON: {exc}", field) from exc


def _nfkc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFKC", value)
    if isinstance(value, list):
        return [_nfkc(v) for v in value]
    if isinstance(value, dict):
        return {unicodedata.normalize("NFKC", k): _nfkc(v) for k, v in value.items()}
    return value


def canonical_text(value: Any) -> str:
    """Decoded, NFKC-normalised, compact JSON with sorted keys (non-ASCII kept, not escaped).

    Two keys that differ only before normalisation collapse to one (the last wins): harmless for
    matching, since both spellings were already seen by `parse_strict` as distinct keys.
    """
    return json.dumps(_nfkc(value), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8", errors="surrogatepass"))
