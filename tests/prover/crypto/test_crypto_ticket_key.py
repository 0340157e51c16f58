"""One-time ticket keys (D5): RFC 8032 vectors, x from pk, and strict decoding of hostile input.

Small-order points are re-derived here with independent affine Edwards arithmetic; the live
cross-check against @noble/curves is in test_crypto_node_live.py.
"""

from __future__ import annotations

import contextlib
import secrets

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from prover.crypto import P, keccak256, poseidon
from prover.crypto.errors import MalformedTicketKeyError
from prover.crypto.tags import TAG_MSG
from prover.crypto.ticket_key import (
    DOMAIN_KEY,
    ED25519_L,
    ED25519_Q,
    SMALL_ORDER_Y,
    TicketKey,
    check_public_key,
    check_signature,
    verify_signature,
    x_of_pk,
)

Q = ED25519_Q
D = -121665 * pow(121666, Q - 2, Q) % Q
SQRT_M1 = pow(2, (Q - 1) // 4, Q)

# RFC 8032 §7.1, tests 1-3: (secret, public key, message, signature).
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701"
        "cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d"
        "0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f7609"
        "84dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
]

Affine = tuple[int, int]
IDENTITY: Affine = (0, 1)


def _add(a: Affine, b: Affine) -> Affine:
    (x1, y1), (x2, y2) = a, b
    t = D * x1 * x2 * y1 * y2 % Q
    x3 = (x1 * y2 + x2 * y1) * pow(1 + t, Q - 2, Q) % Q
    y3 = (y1 * y2 + x1 * x2) * pow(1 - t, Q - 2, Q) % Q
    return x3, y3


def _mul(point: Affine, k: int) -> Affine:
    acc, base = IDENTITY, point
    while k:
        if k & 1:
            acc = _add(acc, base)
        base, k = _add(base, base), k >> 1
    return acc


def _decompress(y: int, sign: int) -> Affine | None:
    x2 = (y * y - 1) * pow(D * y * y + 1, Q - 2, Q) % Q
    x = pow(x2, (Q + 3) // 8, Q)
    if x * x % Q != x2:
        x = x * SQRT_M1 % Q
    if x * x % Q != x2:
        return None
    if x & 1 != sign:
        x = (Q - x) % Q
    return x, y


def _encode(y: int, sign: int = 0) -> bytes:
    return (y | sign << 255).to_bytes(32, "little")


@pytest.mark.parametrize(("secret", "pk", "msg", "sig"), RFC8032, ids=["test1", "test2", "test3"])
def test_keys_and_signatures_match_the_rfc_8032_vectors(
    secret: str, pk: str, msg: str, sig: str
) -> None:
    key = TicketKey.from_secret(bytes.fromhex(secret))
    assert key.pk.hex() == pk
    assert key.sign(bytes.fromhex(msg)).hex() == sig
    assert verify_signature(key.pk, bytes.fromhex(sig), bytes.fromhex(msg))
    assert not verify_signature(key.pk, bytes.fromhex(sig), bytes.fromhex(msg) + b"\x00")


def test_x_is_poseidon_of_the_domain_separated_keccak_of_the_public_key() -> None:
    key = TicketKey.generate()
    h = int.from_bytes(keccak256(b"zkcredits/ticket-key/v1" + key.pk), "big") % P
    assert DOMAIN_KEY == b"zkcredits/ticket-key/v1"
    assert key.x == x_of_pk(key.pk) == poseidon(TAG_MSG, h)
    assert key.x != 0


def test_fresh_keys_are_distinct_and_rebuild_from_their_secret() -> None:
    keys = [TicketKey.generate() for _ in range(20)]
    assert len({k.pk for k in keys}) == 20 and len({k.x for k in keys}) == 20
    for key in keys:
        assert TicketKey.from_secret(key.secret) == key
        assert _mul(_decompress(*_y_sign(key.pk)) or IDENTITY, ED25519_L) == IDENTITY


def _y_sign(pk: bytes) -> tuple[int, int]:
    v = int.from_bytes(pk, "little")
    return v & ((1 << 255) - 1), v >> 255


def test_the_small_order_y_values_are_exactly_those_of_the_eight_torsion_points() -> None:
    torsion = set()
    for y in SMALL_ORDER_Y:
        for sign in (0, 1):
            point = _decompress(y, sign)
            assert point is not None
            assert _mul(point, 8) == IDENTITY
            torsion.add(point)
    assert len(torsion) == 8
    # and a prime-order point is not among them: its y is not in the set
    assert _y_sign(TicketKey.generate().pk)[0] not in SMALL_ORDER_Y


def test_openssl_accepts_a_forgery_under_the_identity_key_which_strict_decoding_refuses() -> None:
    identity_pk, forged = _encode(1), _encode(1) + bytes(32)  # R = identity, S = 0
    Ed25519PublicKey.from_public_bytes(identity_pk).verify(forged, b"any request at all")
    with pytest.raises(MalformedTicketKeyError, match="small order") as info:
        verify_signature(identity_pk, forged, b"any request at all")
    assert info.value.field == "pk"


@pytest.mark.parametrize(
    "pk",
    [_encode(y, s) for y in sorted(SMALL_ORDER_Y) for s in (0, 1) if (y, s) not in {(1, 1)}]
    + [_encode(Q - 1, 1)],
)
def test_every_small_order_key_is_refused(pk: bytes) -> None:
    with pytest.raises(MalformedTicketKeyError) as info:
        check_public_key(pk)
    assert info.value.field == "pk"


@pytest.mark.parametrize(
    ("pk", "why"),
    [
        (_encode(Q), "canonical"),  # y = q: a second encoding of y = 0
        (_encode(Q + 5), "canonical"),
        (((1 << 255) - 1).to_bytes(32, "little"), "canonical"),
        (_encode(1, 1), "canonical"),  # x = 0 written as "−0"
        (_encode(2), "not a point"),
        (bytes(31), "32 bytes"),
        (bytes(33), "32 bytes"),
    ],
)
def test_non_canonical_or_off_curve_keys_are_refused(pk: bytes, why: str) -> None:
    with pytest.raises(MalformedTicketKeyError, match=why):
        check_public_key(pk)


def test_a_key_of_the_wrong_type_is_refused() -> None:
    with pytest.raises(MalformedTicketKeyError):
        check_public_key("00" * 32)


def test_signatures_with_s_at_or_above_the_group_order_or_a_non_canonical_r_are_refused() -> None:
    key = TicketKey.generate()
    sig = key.sign(b"m")
    s = int.from_bytes(sig[32:], "little")
    high_s = sig[:32] + (s + ED25519_L).to_bytes(32, "little")
    # OpenSSL refuses S ≥ L itself; we refuse it before asking, naming the field
    with pytest.raises(InvalidSignature):
        Ed25519PublicKey.from_public_bytes(key.pk).verify(high_s, b"m")
    with pytest.raises(MalformedTicketKeyError, match="group order"):
        check_signature(high_s)
    with pytest.raises(MalformedTicketKeyError, match="R is not"):
        check_signature(_encode(Q + 1) + sig[32:])
    for length in (63, 65):
        with pytest.raises(MalformedTicketKeyError, match="64 bytes"):
            check_signature(bytes(length))
    assert check_signature(sig[:32] + (ED25519_L - 1).to_bytes(32, "little"))


def test_tampered_signatures_other_messages_and_other_keys_do_not_verify() -> None:
    key, other = TicketKey.generate(), TicketKey.generate()
    msg = secrets.token_bytes(100)
    sig = key.sign(msg)
    assert verify_signature(key.pk, sig, msg)
    assert not verify_signature(key.pk, sig, msg[:-1] + bytes([msg[-1] ^ 1]))
    assert not verify_signature(other.pk, sig, msg)
    for i in (0, 31, 32, 63):
        flipped = bytearray(sig)
        flipped[i] ^= 0x01
        # a flip that makes an encoding non-canonical is refused before verification
        with contextlib.suppress(MalformedTicketKeyError):
            assert not verify_signature(key.pk, bytes(flipped), msg)


def test_a_secret_of_the_wrong_length_is_refused() -> None:
    for bad in (bytes(31), bytes(33)):
        with pytest.raises(MalformedTicketKeyError) as info:
            TicketKey.from_secret(bad)
        assert info.value.field == "secret"


def test_the_secret_is_not_in_the_key_repr() -> None:
    key = TicketKey.generate()
    assert key.secret.hex() not in repr(key)
