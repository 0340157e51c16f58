"""RLN: note IDs, leaves, slopes, nullifiers, shares, secret recovery and the service id."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prover.crypto import (
    TAG_ID,
    TAG_LEAF,
    TAG_NULL,
    TAG_SLOPE,
    TAG_WD,
    EncodingError,
    NonCanonicalError,
    P,
    RecoveryError,
    keccak256,
    leaf,
    note_id,
    nullifier,
    parse_address,
    poseidon,
    recover_secret,
    service_id,
    share,
    slope,
    withdrawal_point,
)

felts = st.integers(min_value=0, max_value=P - 1)


@given(felts, st.integers(0, 2**32 - 1), felts, felts, felts)
def test_two_shares_of_one_ticket_at_different_points_reveal_the_secret(
    k: int, n: int, sid: int, x1: int, x2: int
) -> None:
    a = slope(k, n, sid)
    y1, y2 = share(k, a, x1), share(k, a, x2)
    if x1 == x2:
        with pytest.raises(RecoveryError):
            recover_secret(x1, y1, x2, y2)
    else:
        assert recover_secret(x1, y1, x2, y2) == k
        assert note_id(recover_secret(x2, y2, x1, y1)) == note_id(k)


@given(felts, st.integers(1, P - 2), felts)
def test_shares_of_different_tickets_at_non_zero_points_do_not_reveal_the_secret(
    k: int, x1: int, sid: int
) -> None:
    x2 = (x1 + 1) % P
    y1 = share(k, slope(k, 0, sid), x1)
    y2 = share(k, slope(k, 1, sid), x2)
    assert recover_secret(x1, y1, x2, y2) != k


def test_recovery_refuses_equal_x_and_non_canonical_shares() -> None:
    with pytest.raises(RecoveryError) as info:
        recover_secret(5, 1, 5, 2)
    assert info.value.field == "x2"
    with pytest.raises(NonCanonicalError):
        recover_secret(1, P, 2, 3)


def test_every_hash_starts_with_its_d1_tag() -> None:
    k, n, sid = 1234, 7, 999
    ident = note_id(k)
    assert ident == poseidon(TAG_ID, k)
    assert leaf(ident, 10**9, 20500) == poseidon(TAG_LEAF, ident, 10**9, 20500)
    a = slope(k, n, sid)
    assert a == poseidon(TAG_SLOPE, k, n, sid)
    assert nullifier(a) == poseidon(TAG_NULL, a)
    assert withdrawal_point(sid) == poseidon(TAG_WD, sid)
    assert share(k, a, 3) == (k + 3 * a) % P
    assert [TAG_ID, TAG_LEAF, TAG_SLOPE, TAG_NULL, TAG_WD] == [1, 2, 3, 4, 7]


def test_nullifiers_differ_per_ticket_and_per_service() -> None:
    k = 42
    seen = {nullifier(slope(k, n, sid)) for n in range(10) for sid in (1, 2)}
    assert len(seen) == 20


@pytest.mark.parametrize(
    ("fn", "args", "field"),
    [
        (leaf, (1, 2**64, 0), "D"),
        (leaf, (P, 1, 0), "ID"),
        (leaf, (1, 1, 2**64), "expiry"),
        (slope, (1, 2**32 + 1, 0), "n"),
        (slope, (1, 0, P), "service_id"),
        (note_id, (P,), "k"),
        (share, (1, 1, -1), "x"),
    ],
)
def test_out_of_range_inputs_are_refused_naming_the_field(
    fn: object, args: tuple[int, ...], field: str
) -> None:
    with pytest.raises(NonCanonicalError) as info:
        fn(*args)  # type: ignore[operator]
    assert info.value.field == field


def test_service_id_hashes_abi_encoded_chain_id_and_vault_address() -> None:
    addr = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    encoded = (31337).to_bytes(32, "big") + bytes(12) + bytes.fromhex(addr[2:])
    expected = int.from_bytes(keccak256(encoded), "big") % P
    assert service_id(31337, addr) == expected
    assert service_id(31337, addr.lower()) == expected
    assert service_id(31337, bytes.fromhex(addr[2:])) == expected
    assert service_id(1, addr) != expected


def test_keccak_is_ethereum_keccak_not_sha3() -> None:
    assert (
        keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    )


@pytest.mark.parametrize(
    "bad",
    [
        "0x5FbDB2315678afecb367f032d93F642f64180aA3",  # checksum broken in one letter
        "5fbdb2315678afecb367f032d93f642f64180aa3",
        "0x5fbdb2315678afecb367f032d93f642f64180a",
        "0x5fbdb2315678afecb367f032d93f642f64180aa3 ",
        b"\x00" * 19,
    ],
)
def test_malformed_vault_addresses_are_refused(bad: str | bytes) -> None:
    with pytest.raises(EncodingError) as info:
        parse_address(bad, "vault_address")
    assert info.value.field == "vault_address"


def test_chain_ids_must_fit_in_uint256() -> None:
    with pytest.raises(NonCanonicalError):
        service_id(2**256, "0x" + "11" * 20)
