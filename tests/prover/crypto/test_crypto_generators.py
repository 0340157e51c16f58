"""The five generators of D2 are re-derived from their seeds and are independent subgroup points."""

from __future__ import annotations

import hashlib

import pytest

from prover.crypto import (
    BASE8,
    G_C,
    G_H,
    G_ID,
    G_N,
    G_P,
    GENERATORS,
    IDENTITY,
    L,
    Point,
    mul,
    negate,
)
from prover.crypto.babyjub import A, D, fixed_base_table, in_subgroup
from prover.crypto.field import P, sqrt
from prover.crypto.generators import (
    GENERATOR_NAMES,
    derive_generator,
    hash_to_curve,
    precompute_tables,
    seed_for,
)


@pytest.mark.parametrize("name", GENERATOR_NAMES)
def test_each_hard_coded_generator_is_re_derived_from_its_seed(name: str) -> None:
    assert derive_generator(name) == GENERATORS[name]
    assert seed_for(name) == f"zkcredits/v1/{name}".encode("ascii")


def test_the_named_constants_are_the_table_entries() -> None:
    assert [GENERATORS[n] for n in GENERATOR_NAMES] == [G_N, G_C, G_P, G_ID, G_H]


@pytest.mark.parametrize("name", GENERATOR_NAMES)
def test_each_generator_has_prime_order_l(name: str) -> None:
    g = GENERATORS[name]
    assert not g.is_identity
    assert in_subgroup(g)
    assert mul(g, L) == IDENTITY


def test_generators_are_pairwise_distinct_also_up_to_sign_and_from_base8() -> None:
    points = [*GENERATORS.values(), BASE8]
    signed = [p for g in points for p in (g, negate(g))]
    assert len(set(signed)) == 2 * len(points)


def _candidate(seed: bytes, ctr: int) -> Point | None:
    """Steps 1-3 of D2, written out from the text: the pre-cofactor point or None."""
    digest = hashlib.sha256(seed + ctr.to_bytes(4, "big")).digest()
    y = int.from_bytes(digest, "big") % P
    den = (A - D * y * y) % P
    if den == 0:
        return None
    x2 = (1 - y * y) * pow(den, -1, P) % P
    if x2 == 0 or pow(x2, (P - 1) // 2, P) != 1:
        return None
    x = sqrt(x2)
    assert x is not None
    return Point(min(x, P - x), y)


@pytest.mark.parametrize("name", GENERATOR_NAMES)
def test_derivation_takes_the_first_counter_that_passes_every_step(name: str) -> None:
    seed = seed_for(name)
    g, ctr = hash_to_curve(seed)
    for earlier in range(ctr):
        c = _candidate(seed, earlier)
        assert c is None or mul(c, 8).is_identity or not in_subgroup(mul(c, 8))
    c = _candidate(seed, ctr)
    assert c is not None and c.x <= (P - 1) // 2
    assert mul(c, 8) == g


def test_precomputed_tables_give_the_same_products_as_plain_multiplication() -> None:
    precompute_tables()
    for g in (*GENERATORS.values(), BASE8):
        assert fixed_base_table(g).mul(123456789) == mul(g, 123456789)
