"""One strict JSON loader for every reading that must mean one thing (wire headers, request bodies).

Python's `json` silently keeps the *last* of duplicate keys and accepts `NaN`/`Infinity`; a value
checked on one reading and used on another is no check. `loads_strict` refuses duplicate keys
(`JsonDuplicateKeyError`) and the non-standard constants everywhere; with `integers_only` every
non-integer number is refused (`JsonNonIntegerError`), otherwise a number that overflows a double
is. Other malformed JSON raises `ValueError` (and absurd nesting `RecursionError`), as `json` does;
callers turn each into their own named error.
"""

from __future__ import annotations

import json
from typing import Any

from prover.plumbing.errors import JsonDuplicateKeyError, JsonNonIntegerError


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise JsonDuplicateKeyError(key)
        out[key] = value
    return out


def _non_integer(text: str) -> Any:
    raise JsonNonIntegerError(text)


def _no_constants(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"number {text} overflows a double")
    return value


def loads_strict(text: str, *, integers_only: bool) -> Any:
    """Decode `text` under the rules above."""
    return json.loads(
        text,
        object_pairs_hook=_no_duplicates,
        parse_float=_non_integer if integers_only else _finite,
        parse_constant=_non_integer if integers_only else _no_constants,
    )
