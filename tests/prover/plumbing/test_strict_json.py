"""`loads_strict`: one meaning per JSON text (no duplicate keys, no NaN, integers where asked)."""

from __future__ import annotations

import json

import pytest

from prover.plumbing.errors import JsonDuplicateKeyError, JsonNonIntegerError
from prover.plumbing.strict_json import loads_strict


@pytest.mark.parametrize("integers_only", [True, False])
def test_a_repeated_key_at_any_depth_is_refused_by_name(integers_only: bool) -> None:
    text = '{"a": {"b": 1, "b": 2}}'
    assert json.loads(text) == {"a": {"b": 2}}  # what Python alone would silently do
    with pytest.raises(JsonDuplicateKeyError) as info:
        loads_strict(text, integers_only=integers_only)
    assert info.value.key == "b"


@pytest.mark.parametrize("text", ["1.5", "2e3", "NaN", "-Infinity", '{"x": [1, 0.0]}'])
def test_only_plain_integers_pass_where_integers_only(text: str) -> None:
    with pytest.raises(JsonNonIntegerError):
        loads_strict(text, integers_only=True)


def test_finite_floats_pass_but_constants_and_overflow_do_not() -> None:
    assert loads_strict('{"t": 0.5, "n": [1, 2]}', integers_only=False) == {"t": 0.5, "n": [1, 2]}
    for text in ("NaN", "Infinity", "1e400"):
        with pytest.raises(ValueError, match=r"constant|overflows"):
            loads_strict(text, integers_only=False)


def test_malformed_json_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        loads_strict('{"a": ', integers_only=True)
