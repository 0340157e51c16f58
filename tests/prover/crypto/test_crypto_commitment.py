"""State commitments: homomorphic per-call update, rerandomisation, ranges, state signatures."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prover.crypto import (
    BASE8,
    G_C,
    G_H,
    G_ID,
    G_N,
    G_P,
    GENESIS_INDEX,
    TAG_ETA,
    TAG_STATE,
    L,
    NonCanonicalError,
    Opening,
    P,
    commit,
    eta,
    generate_secret_key,
    genesis_opening,
    mul,
    next_commitment,
    next_opening,
    note_id,
    poseidon,
    public_key,
    rerandomise,
    rho0,
    sign_state,
    state_message,
    verify_state,
)

felts = st.integers(min_value=0, max_value=P - 1)
openings = st.builds(
    Opening,
    n=st.integers(0, 2**32 - 2),
    C=st.integers(0, 2**63),
    P=st.integers(0, 2**63),
    ID=felts,
    rho=st.integers(0, L - 1),
)
amounts = st.integers(0, 2**62)


@given(openings)
@settings(max_examples=25, deadline=None)
def test_commit_is_the_sum_of_the_five_generator_terms(o: Opening) -> None:
    plain = mul(G_N, o.n) + mul(G_C, o.C) + mul(G_P, o.P) + mul(G_ID, o.ID) + mul(G_H, o.rho)
    assert commit(o) == plain


@given(openings, st.integers(0, 2**32 - 1), felts, amounts, amounts)
@settings(max_examples=25, deadline=None)
def test_the_gateway_update_of_a_rerandomised_commitment_commits_to_the_updated_opening(
    o: Opening, i: int, sid: int, cost: int, penalty: int
) -> None:
    e_i = eta(o.ID, i, sid)
    e_anon = rerandomise(commit(o), e_i)
    new = next_opening(o, e_i, cost, penalty)
    assert next_commitment(e_anon, cost, penalty) == commit(new)
    assert (new.n, new.C, new.P, new.ID) == (o.n + 1, o.C + cost, o.P + penalty, o.ID)
    assert new.rho == (o.rho + e_i) % L


@given(openings)
@settings(max_examples=15, deadline=None)
def test_a_rerandomised_commitment_differs_from_the_original(o: Opening) -> None:
    assert rerandomise(commit(o), 1) != commit(o)
    assert rerandomise(commit(o), 0) == commit(o)


def test_changing_any_single_field_changes_the_commitment() -> None:
    base = Opening(n=5, C=100, P=3, ID=note_id(7), rho=12345)
    e = commit(base)
    for field in ("n", "C", "P", "ID", "rho"):
        changed = Opening(
            **{**{k: getattr(base, k) for k in base.__slots__}, field: getattr(base, field) + 1}
        )
        assert commit(changed) != e, field


@pytest.mark.parametrize(
    ("field", "value"),
    [("n", 2**32), ("C", 2**64), ("P", 2**64), ("ID", P), ("rho", L), ("n", -1), ("C", True)],
)
def test_openings_out_of_range_are_refused_naming_the_field(field: str, value: int) -> None:
    kwargs = {"n": 0, "C": 0, "P": 0, "ID": 1, "rho": 0, field: value}
    with pytest.raises(NonCanonicalError) as info:
        Opening(**kwargs)
    assert info.value.field == field


def test_the_client_update_refuses_to_overflow_the_ticket_or_amount_ranges() -> None:
    last = Opening(n=2**32 - 1, C=0, P=0, ID=1, rho=0)
    with pytest.raises(NonCanonicalError):
        next_opening(last, 0, 0, 0)
    rich = Opening(n=0, C=2**64 - 1, P=0, ID=1, rho=0)
    with pytest.raises(NonCanonicalError):
        next_opening(rich, 0, 1, 0)
    with pytest.raises(NonCanonicalError):
        next_commitment(BASE8, 2**64, 0)
    with pytest.raises(NonCanonicalError):
        rerandomise(BASE8, L)


def test_rerandomisers_follow_d3_and_never_collide_with_the_genesis_blinding() -> None:
    k, sid = 0xABCDEF, 424242
    assert eta(k, 3, sid) == poseidon(TAG_ETA, k, 3, sid) % L
    assert rho0(k, sid) == poseidon(TAG_ETA, k, 2**32, sid) % L
    assert GENESIS_INDEX == 2**32
    assert rho0(k, sid) not in {eta(k, i, sid) for i in range(50)}
    assert eta(k, 3, sid) != eta(k, 3, sid + 1)
    with pytest.raises(NonCanonicalError):
        eta(k, 2**32 + 1, sid)


def test_genesis_opening_is_zero_usage_with_the_deterministic_blinding() -> None:
    k, sid = 99, 7
    g = genesis_opening(k, note_id(k), sid)
    assert g.is_genesis and g.rho == rho0(k, sid) and note_id(k) == g.ID
    assert not next_opening(g, eta(k, 0, sid), 0, 0).is_genesis


def test_state_signatures_bind_the_service_and_the_commitment() -> None:
    sk = generate_secret_key()
    pk = public_key(sk)
    e = commit(Opening(n=1, C=2, P=0, ID=3, rho=4))
    sid = 555
    sig = sign_state(sk, sid, e)
    assert state_message(sid, e) == poseidon(TAG_STATE, sid, e.x, e.y)
    assert verify_state(pk, sid, e, sig)
    assert not verify_state(pk, sid + 1, e, sig)
    assert not verify_state(pk, sid, e + G_N, sig)
    assert not verify_state(public_key(generate_secret_key()), sid, e, sig)
