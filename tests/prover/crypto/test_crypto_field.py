"""BN254 scalar field: canonical checks, byte encoding, strict parsing, inverse, square roots."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prover.crypto import (
    CryptoError,
    EncodingError,
    NonCanonicalError,
    P,
    from_bytes32,
    inv,
    parse_field,
    require_canonical,
    to_bytes32,
    to_decimal,
)
from prover.crypto.field import sqrt
from prover.errors import ZkCreditsError

felts = st.integers(min_value=0, max_value=P - 1)


def test_the_modulus_is_the_bn254_scalar_field_order() -> None:
    assert P == 21888242871839275222246405745257275088548364400416034343698204186575808495617
    assert pow(3, P - 1, P) == 1


@given(felts)
def test_32_byte_big_endian_encoding_round_trips(v: int) -> None:
    data = to_bytes32(v)
    assert len(data) == 32
    assert data == v.to_bytes(32, "big")
    assert from_bytes32(data) == v


@given(felts)
def test_decimal_and_hex_strings_round_trip(v: int) -> None:
    assert parse_field(to_decimal(v)) == v
    assert parse_field(hex(v)) == v
    assert parse_field("0x" + format(v, "064x")) == v


@pytest.mark.parametrize("bad", [P, P + 1, 2**256 - 1, -1, -P])
def test_non_canonical_values_are_rejected_not_reduced(bad: int) -> None:
    with pytest.raises(NonCanonicalError) as info:
        require_canonical(bad, "nullifier")
    assert info.value.field == "nullifier"
    assert "nullifier" in str(info.value)
    assert isinstance(info.value, CryptoError)
    assert isinstance(info.value, ZkCreditsError)


@pytest.mark.parametrize("bad", [True, 1.0, "1", None, b"\x01"])
def test_values_that_are_not_plain_ints_are_rejected(bad: object) -> None:
    with pytest.raises(NonCanonicalError):
        require_canonical(bad, "x")


def test_encoding_refuses_values_at_or_above_the_modulus() -> None:
    with pytest.raises(NonCanonicalError):
        to_bytes32(P, "root")
    with pytest.raises(NonCanonicalError) as info:
        from_bytes32(P.to_bytes(32, "big"), "root")
    assert info.value.field == "root"
    with pytest.raises(NonCanonicalError):
        from_bytes32(b"\xff" * 32)


@pytest.mark.parametrize("data", [b"", b"\x00" * 31, b"\x00" * 33])
def test_decoding_refuses_any_length_but_32(data: bytes) -> None:
    with pytest.raises(EncodingError):
        from_bytes32(data, "leaf")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "+1",
        "-1",
        " 1",
        "1 ",
        "01",
        "00",
        "1_000",
        "1e3",
        "0x",
        "0X1",
        "0x-1",
        "0x 1",
        "٣",
        "0x" + "0" * 65,
        "1.0",
        str(P),
        hex(P),
        str(P + 5),
    ],
)
def test_strict_parsing_rejects_anything_but_plain_decimal_or_0x_hex(text: str) -> None:
    with pytest.raises(CryptoError) as info:
        parse_field(text, "y")
    assert info.value.field == "y"


def test_parsing_rejects_non_strings() -> None:
    with pytest.raises(EncodingError):
        parse_field(5, "y")  # type: ignore[arg-type]


@given(st.integers(min_value=1, max_value=P - 1))
def test_inverse_times_value_is_one(v: int) -> None:
    assert v * inv(v) % P == 1


def test_zero_has_no_inverse() -> None:
    with pytest.raises(NonCanonicalError):
        inv(0, "x2 - x1")


@given(felts)
def test_square_roots_square_back_and_non_residues_have_none(v: int) -> None:
    sq = v * v % P
    r = sqrt(sq)
    assert r is not None and r * r % P == sq
    non_residue = 5 * sq % P  # 5 is a non-residue, so 5·v² is one unless v = 0
    assert (sqrt(non_residue) is None) == (v != 0)
