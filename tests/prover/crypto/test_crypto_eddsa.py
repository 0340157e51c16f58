"""EdDSA-Poseidon (D4): signatures verify, any tampering fails, wire parsing is strict."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prover.crypto import (
    BASE8,
    IDENTITY,
    InvalidKeyError,
    L,
    MalformedSignatureError,
    NonCanonicalError,
    P,
    Point,
    Signature,
    base8_mul,
    generate_secret_key,
    poseidon,
    public_key,
    secret_key_from_bytes,
    secret_key_to_bytes,
    sign,
    verify,
)
from prover.crypto.eddsa import NONCE_DOMAIN

keys = st.integers(min_value=1, max_value=L - 1)
msgs = st.integers(min_value=0, max_value=P - 1)
ORDER2 = Point(0, P - 1)


@given(keys, msgs)
@settings(max_examples=25, deadline=None)
def test_signatures_verify_and_fail_when_message_s_r8_or_key_is_tampered(a: int, m: int) -> None:
    pk = public_key(a)
    sig = sign(a, m)
    assert verify(pk, m, sig)
    assert not verify(pk, (m + 1) % P, sig)
    assert not verify(pk, m, Signature(sig.R8, (sig.S + 1) % L))
    assert not verify(pk, m, Signature(sig.R8 + BASE8, sig.S))
    assert not verify(pk + BASE8, m, sig)


@given(keys, msgs)
@settings(max_examples=10, deadline=None)
def test_signing_follows_d4_exactly(a: int, m: int) -> None:
    sig = sign(a, m)
    r = (
        int.from_bytes(
            hashlib.sha512(NONCE_DOMAIN + a.to_bytes(32, "big") + m.to_bytes(32, "big")).digest(),
            "big",
        )
        % L
    )
    assert base8_mul(r) == sig.R8
    pk = public_key(a)
    hm = poseidon(sig.R8.x, sig.R8.y, pk.x, pk.y, m)
    assert (r + 8 * hm * a) % L == sig.S
    assert sign(a, m) == sig


def test_a_key_whose_cofactor_multiple_is_the_identity_is_rejected() -> None:
    # With A of order 2, 8·A = O and S·Base8 = R8 holds for S = r: the circuit forbids this.
    r = 12345
    forged = Signature(base8_mul(r), r)
    assert not verify(ORDER2, 1, forged)
    assert not verify(IDENTITY, 1, forged)


def test_adding_low_order_torsion_to_the_key_breaks_the_signature() -> None:
    a = generate_secret_key()
    sig = sign(a, 5)
    assert not verify(public_key(a) + ORDER2, 5, sig)


def test_s_at_or_above_the_subgroup_order_is_refused() -> None:
    a = generate_secret_key()
    sig = sign(a, 9)
    wire = sig.to_wire()
    for bad_s in (sig.S + L, L, P - 1):
        with pytest.raises(MalformedSignatureError) as info:
            Signature.from_wire({"R8": wire["R8"], "S": str(bad_s)})
        assert info.value.field == "S"
        with pytest.raises(MalformedSignatureError):
            Signature(sig.R8, bad_s)


def test_wire_form_round_trips() -> None:
    a = generate_secret_key()
    sig = sign(a, 77)
    assert Signature.from_wire(sig.to_wire()) == sig
    assert sig.to_wire() == {"R8": [str(sig.R8.x), str(sig.R8.y)], "S": str(sig.S)}


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda w: {**w, "extra": "1"}, "sig"),
        (lambda w: {"R8": w["R8"]}, "sig"),
        (lambda w: {**w, "S": "+" + w["S"]}, "S"),
        (lambda w: {**w, "S": int(w["S"])}, "S"),
        (lambda w: {**w, "R8": [w["R8"][0], "1"]}, "R8"),
        (lambda w: {**w, "R8": w["R8"][:1]}, "R8"),
        (lambda w: {**w, "R8": [w["R8"][0], str(int(w["R8"][1]) + P)]}, "R8.y"),
        (lambda w: [w["R8"], w["S"]], "sig"),
    ],
)
def test_malformed_wire_signatures_are_refused_naming_the_field(mutate: object, field: str) -> None:
    wire = sign(generate_secret_key(), 3).to_wire()
    with pytest.raises(MalformedSignatureError) as info:
        Signature.from_wire(mutate(wire))  # type: ignore[operator]
    assert info.value.field == field


def test_secret_keys_are_scalars_in_one_to_l_and_round_trip_through_32_bytes() -> None:
    a = generate_secret_key()
    assert 1 <= a < L
    assert secret_key_from_bytes(secret_key_to_bytes(a)) == a
    for bad in (0, L, -1):
        with pytest.raises(InvalidKeyError):
            public_key(bad)
    with pytest.raises(InvalidKeyError):
        secret_key_from_bytes(L.to_bytes(32, "big"))
    with pytest.raises(InvalidKeyError):
        secret_key_from_bytes(b"\x01" * 31)


def test_non_canonical_messages_cannot_be_signed_and_never_verify() -> None:
    a = generate_secret_key()
    with pytest.raises(NonCanonicalError):
        sign(a, P)
    sig = sign(a, 0)
    assert not verify(public_key(a), P, sig)


def test_verification_stays_correct_once_a_frequently_used_key_gets_a_precomputed_table() -> None:
    a = generate_secret_key()
    pk = public_key(a)
    sigs = [(m, sign(a, m)) for m in range(6)]
    for m, sig in sigs:  # the table for 8·A is built part-way through this loop
        assert verify(pk, m, sig)
        assert not verify(pk, m + 1, sig)
        assert not verify(pk, m, Signature(sig.R8, (sig.S + 1) % L))


def test_signing_with_a_public_key_that_is_not_the_signers_is_refused() -> None:
    a = generate_secret_key()
    with pytest.raises(InvalidKeyError) as info:
        sign(a, 1, public_key(generate_secret_key()))
    assert info.value.field == "pk"
    assert sign(a, 1, public_key(a)) == sign(a, 1)
