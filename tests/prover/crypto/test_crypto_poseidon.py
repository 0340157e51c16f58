"""Poseidon: arity limits, canonical inputs only, and sensitivity to every input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prover.crypto import MAX_ARITY, NonCanonicalError, P, PoseidonArityError, poseidon
from prover.crypto.poseidon import poseidon_unchecked

felts = st.integers(min_value=0, max_value=P - 1)


def test_every_supported_arity_hashes_to_a_canonical_element() -> None:
    outs = {poseidon(*range(1, n + 1)) for n in range(1, MAX_ARITY + 1)}
    assert len(outs) == MAX_ARITY
    assert all(0 <= v < P for v in outs)


@pytest.mark.parametrize("n", [0, MAX_ARITY + 1, 16])
def test_unsupported_arities_are_refused(n: int) -> None:
    with pytest.raises(PoseidonArityError):
        poseidon(*([1] * n))


@pytest.mark.parametrize("bad", [P, P + 1, -1])
def test_non_canonical_inputs_are_refused_with_their_position(bad: int) -> None:
    with pytest.raises(NonCanonicalError) as info:
        poseidon(1, bad)
    assert info.value.field == "inputs[1]"


def test_arity_is_part_of_the_hash() -> None:
    assert poseidon(1) != poseidon(1, 0)
    assert poseidon(0, 1) != poseidon(1)


@given(felts, felts)
def test_changing_or_swapping_an_input_changes_the_hash(a: int, b: int) -> None:
    h = poseidon(a, b)
    assert h != poseidon(a, (b + 1) % P)
    if a != b:
        assert h != poseidon(b, a)
    assert h == poseidon_unchecked(a, b)
