"""One-time ticket keys (PROTOCOL v3 §8, D5): a fresh Ed25519 key pair per ticket.

`x = H(TAG_MSG, keccak256(DOMAIN_KEY ‖ pk) mod p)` binds a ticket's RLN share to its key, not to
a request; the key signs the canonical request (`request_hash.canonical_request`), and the
gateway forwards exactly the bytes that were signed.

Encodings (RFC 8032): `pk` is the 32-byte compressed point, `signature` is `R (32) ‖ S (32, little
endian)`, the secret is the 32-byte seed. Strict decoding refuses what `cryptography` (OpenSSL)
would let through or what is never produced by an honest key:

- a `pk` whose y coordinate is ≥ 2^255 − 19 (a second encoding of a point), that is not on the
  curve, or that is one of the 8 points of small order (their y is 0, ±1 or ±y8): with such a key
  anybody can forge signatures, so a request "signed" with it would bind nothing;
- a signature whose `S ≥ L` (malleable) or whose `R` has y ≥ 2^255 − 19.

Keys of mixed order (a small-order component added to a prime-order one) are not refused: no
third party can sign for them without the prime-order part's discrete logarithm, OpenSSL's
verification is cofactorless, and an honest client never makes one (docs: D5).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from prover.crypto.errors import MalformedTicketKeyError
from prover.crypto.field import P
from prover.crypto.poseidon import poseidon
from prover.crypto.rln import keccak256
from prover.crypto.tags import TAG_MSG

DOMAIN_KEY: Final[bytes] = b"zkcredits/ticket-key/v1"
PK_BYTES: Final[int] = 32
SIGNATURE_BYTES: Final[int] = 64
SECRET_BYTES: Final[int] = 32

ED25519_Q: Final[int] = 2**255 - 19
"""The field of Ed25519's coordinates."""
ED25519_L: Final[int] = 2**252 + 27742317777372353535851937790883648493
"""The order of Ed25519's prime-order subgroup (a canonical `S` is below it)."""
_D: Final[int] = (-121665 * pow(121666, ED25519_Q - 2, ED25519_Q)) % ED25519_Q
_Y8: Final[int] = 2707385501144840649318225287225658788936804267575313519463743609750303402022
SMALL_ORDER_Y: Final[frozenset[int]] = frozenset({0, 1, ED25519_Q - 1, _Y8, ED25519_Q - _Y8})
"""The y coordinates of Ed25519's 8 points of small order (identity, order 2, 4 and 8); tests
re-derive them and cross-check with an independent implementation."""


def _y_and_sign(encoded: bytes) -> tuple[int, int]:
    value = int.from_bytes(encoded, "little")
    return value & ((1 << 255) - 1), value >> 255


def _on_curve(y: int) -> bool:
    """Is there an x with -x² + y² = 1 + d·x²·y² (i.e. x² = (y² − 1)/(d·y² + 1) a square)?"""
    y2 = y * y % ED25519_Q
    x2 = (y2 - 1) * pow(_D * y2 + 1, ED25519_Q - 2, ED25519_Q) % ED25519_Q
    return x2 == 0 or pow(x2, (ED25519_Q - 1) // 2, ED25519_Q) == 1


def check_public_key(pk: object, name: str = "pk") -> bytes:
    """`pk` if it is a canonical encoding of a point on Ed25519 not of small order."""
    if not isinstance(pk, bytes) or len(pk) != PK_BYTES:
        raise MalformedTicketKeyError(f"{name} must be exactly {PK_BYTES} bytes", field=name)
    y, sign = _y_and_sign(pk)
    if y >= ED25519_Q or (sign == 1 and y in (1, ED25519_Q - 1)):  # y ≥ q, or x = 0 but "−0"
        raise MalformedTicketKeyError(f"{name} is not a canonical point encoding", field=name)
    if not _on_curve(y):
        raise MalformedTicketKeyError(f"{name} is not a point of Ed25519", field=name)
    if y in SMALL_ORDER_Y:
        raise MalformedTicketKeyError(f"{name} is a point of small order", field=name)
    return pk


def check_signature(signature: object, name: str = "signature") -> bytes:
    """`signature` if it is 64 bytes with a canonical `R` encoding and `S < L`."""
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_BYTES:
        raise MalformedTicketKeyError(f"{name} must be exactly {SIGNATURE_BYTES} bytes", field=name)
    r_y, _sign = _y_and_sign(signature[:32])
    if r_y >= ED25519_Q:
        raise MalformedTicketKeyError(f"{name}: R is not a canonical point encoding", field=name)
    if int.from_bytes(signature[32:], "little") >= ED25519_L:
        raise MalformedTicketKeyError(f"{name}: S is not below the group order", field=name)
    return signature


def x_of_pk(pk: bytes) -> int:
    """x = H(TAG_MSG, keccak256(DOMAIN_KEY ‖ pk) mod p): the ticket's RLN point."""
    h = int.from_bytes(keccak256(DOMAIN_KEY + check_public_key(pk)), "big") % P
    return poseidon(TAG_MSG, h)


def verify_signature(pk: bytes, signature: bytes, message: bytes) -> bool:
    """Strict Ed25519 verification: both encodings checked first (they raise), then RFC 8032."""
    key = Ed25519PublicKey.from_public_bytes(check_public_key(pk))
    try:
        key.verify(check_signature(signature), message)
    except InvalidSignature:
        return False
    return True


@dataclass(frozen=True)
class TicketKey:
    """A ticket's one-time key pair; `secret` is the 32-byte Ed25519 seed (a wallet secret)."""

    secret: bytes = field(repr=False)
    pk: bytes

    @classmethod
    def generate(cls) -> TicketKey:
        """A fresh key whose x is non-zero (x = 0 has probability ≈ 2^-254; draw again)."""
        while True:
            key = cls.from_secret(secrets.token_bytes(SECRET_BYTES))
            if key.x != 0:
                return key

    @classmethod
    def from_secret(cls, secret: bytes) -> TicketKey:
        if not isinstance(secret, bytes) or len(secret) != SECRET_BYTES:
            raise MalformedTicketKeyError(
                f"a ticket key's secret is {SECRET_BYTES} bytes", field="secret"
            )
        private = Ed25519PrivateKey.from_private_bytes(secret)
        pk = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return cls(secret=secret, pk=check_public_key(pk))

    @property
    def x(self) -> int:
        return x_of_pk(self.pk)

    def sign(self, message: bytes) -> bytes:
        """The Ed25519 signature (deterministic, RFC 8032) of `message`."""
        return Ed25519PrivateKey.from_private_bytes(self.secret).sign(message)
