"""Baby Jubjub: group laws, fast paths agree with the plain ones, curve and subgroup checks."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prover.crypto import (
    BASE8,
    IDENTITY,
    ORDER,
    EncodingError,
    FixedBaseTable,
    L,
    NonCanonicalError,
    NotInSubgroupError,
    NotOnCurveError,
    P,
    Point,
    add,
    base8_mul,
    double,
    fixed_base_sum,
    in_subgroup,
    mul,
    negate,
    require_scalar,
    require_subgroup,
    sum_points,
)
from prover.crypto.babyjub import A, D

scalars = st.integers(min_value=0, max_value=L - 1)
small = st.integers(min_value=0, max_value=2**20)
# A point of order 2 and one of order 4 (torsion outside the prime-order subgroup).
ORDER2 = Point(0, P - 1)


def _naive_mul(p: Point, k: int) -> Point:
    acc, base = IDENTITY, p
    while k:
        if k & 1:
            acc = add(acc, base)
        base = add(base, base)
        k >>= 1
    return acc


def _order4() -> Point:
    # x² = 1/a with y = 0 gives the two points of order 4.
    x = pow(A, (P - 2), P)
    from prover.crypto.field import sqrt

    r = sqrt(x)
    assert r is not None
    return Point(r, 0)


def test_constants_match_circomlib() -> None:
    assert (A, D) == (168700, 168696)
    assert ORDER == 8 * L
    assert L == 2736030358979909402780800718157159386076813972158567259200215660948447373041
    assert mul(BASE8, L) == IDENTITY
    assert not BASE8.is_identity


@given(scalars, scalars)
@settings(max_examples=30, deadline=None)
def test_scalar_multiplication_distributes_over_scalar_addition(a: int, b: int) -> None:
    assert base8_mul(a) + base8_mul(b) == base8_mul((a + b) % L)
    assert mul(mul(BASE8, a), b) == base8_mul(a * b % L)


@given(scalars, scalars, scalars)
@settings(max_examples=20, deadline=None)
def test_addition_is_associative_and_commutative(a: int, b: int, c: int) -> None:
    p, q, r = base8_mul(a), base8_mul(b), base8_mul(c)
    assert (p + q) + r == p + (q + r)
    assert p + q == q + p
    assert sum_points([p, q, r]) == p + q + r


@given(scalars)
@settings(max_examples=30, deadline=None)
def test_identity_negation_and_doubling_behave(a: int) -> None:
    p = base8_mul(a)
    assert p + IDENTITY == p
    assert p + negate(p) == IDENTITY
    assert p - p == IDENTITY
    assert double(p) == p + p
    assert negate(negate(p)) == p


@given(scalars)
@settings(max_examples=20, deadline=None)
def test_fixed_base_tables_agree_with_plain_double_and_add(k: int) -> None:
    assert base8_mul(k) == _naive_mul(BASE8, k)
    assert mul(BASE8 + BASE8, k) == _naive_mul(BASE8 + BASE8, k)
    assert FixedBaseTable(BASE8, window=3).mul(k) == base8_mul(k)


@given(small, small)
@settings(max_examples=20, deadline=None)
def test_fixed_base_sum_equals_the_sum_of_its_terms(a: int, b: int) -> None:
    q = base8_mul(7)
    assert fixed_base_sum([(BASE8, a), (q, b)], extra=[q]) == base8_mul(a) + mul(q, b) + q


def test_group_law_holds_on_points_outside_the_subgroup() -> None:
    t4 = _order4()
    assert mul(t4, 4) == IDENTITY and mul(t4, 2) == ORDER2
    p = BASE8 + t4
    assert mul(p, 4 * L) == IDENTITY
    assert mul(p, L) != IDENTITY
    assert mul(p, 5) == _naive_mul(p, 5)
    assert mul(p, -3) == negate(_naive_mul(p, 3))


def test_points_off_the_curve_cannot_be_constructed() -> None:
    with pytest.raises(NotOnCurveError):
        Point(BASE8.x, (BASE8.y + 1) % P)
    with pytest.raises(NotOnCurveError):
        Point(1, 1)
    with pytest.raises(NotOnCurveError):
        Point.from_wire([str(BASE8.x), "2"])


@pytest.mark.parametrize("coords", [(P, 1), (0, P + 1), (-1, 1), (BASE8.x + P, BASE8.y)])
def test_non_canonical_coordinates_are_rejected(coords: tuple[int, int]) -> None:
    with pytest.raises(NonCanonicalError):
        Point(*coords)


def test_points_outside_the_prime_subgroup_are_detected() -> None:
    assert in_subgroup(BASE8)
    for bad in (ORDER2, _order4(), BASE8 + ORDER2, BASE8 + _order4()):
        assert not in_subgroup(bad)
        with pytest.raises(NotInSubgroupError):
            require_subgroup(bad, "server_pk")
    with pytest.raises(NotInSubgroupError) as info:
        require_subgroup(IDENTITY, "server_pk")
    assert info.value.field == "server_pk"


def test_points_are_immutable_hashable_and_picklable() -> None:
    p = base8_mul(12345)
    with pytest.raises(AttributeError):
        p.x = 1
    assert {p: 1}[base8_mul(12345)] == 1
    assert pickle.loads(pickle.dumps(p)) == p


def test_wire_form_round_trips_and_is_strict() -> None:
    p = base8_mul(99)
    assert Point.from_wire(p.to_wire()) == p
    assert p.to_wire() == [str(p.x), str(p.y)]
    for bad in ([str(p.x)], [p.x, p.y], {"x": "1"}, [str(p.x), str(p.y), "0"], [" 1", "0"]):
        with pytest.raises((EncodingError, NonCanonicalError)):
            Point.from_wire(bad)


def test_scalars_must_be_ints_below_the_subgroup_order() -> None:
    assert require_scalar(L - 1, "rho") == L - 1
    for bad in (L, -1, True):
        with pytest.raises(NonCanonicalError):
            require_scalar(bad, "rho")
    with pytest.raises(NonCanonicalError):
        mul(BASE8, 1.5)  # type: ignore[arg-type]
