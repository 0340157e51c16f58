"""EdDSA-Poseidon over Baby Jubjub exactly as D4 (circomlib `EdDSAPoseidonVerifier` checks)."""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from prover.crypto.babyjub import (
    BASE8,
    FixedBaseTable,
    L,
    Point,
    _Ext,
    _ext_add,
    _ext_double,
    _ext_mul,
    _to_affine,
    _to_ext,
    base8_mul,
    fixed_base_table,
)
from prover.crypto.errors import (
    EncodingError,
    InvalidKeyError,
    MalformedSignatureError,
    NonCanonicalError,
    NotOnCurveError,
)
from prover.crypto.field import P, parse_field, require_canonical
from prover.crypto.poseidon import poseidon

NONCE_DOMAIN: Final[bytes] = b"zkcredits/v1/eddsa-nonce"


@dataclass(frozen=True, slots=True)
class Signature:
    """EdDSA-Poseidon signature (R8, S) with S in [0, L) and R8 on the curve."""

    R8: Point
    S: int

    def __post_init__(self) -> None:
        if not isinstance(self.R8, Point):
            raise MalformedSignatureError("R8 must be a Point", field="R8")
        if type(self.S) is not int or not 0 <= self.S < L:
            raise MalformedSignatureError(f"S must be an int in [0, L), got {self.S!r}", field="S")

    def to_wire(self) -> dict[str, object]:
        """`{"R8": [x, y], "S": s}` with decimal strings (D4)."""
        return {"R8": self.R8.to_wire(), "S": str(self.S)}

    @classmethod
    def from_wire(cls, data: object) -> Signature:
        """Strictly parse the wire form; every failure names the field."""
        if not isinstance(data, dict) or set(data) != {"R8", "S"}:
            raise MalformedSignatureError(
                "signature must be an object with keys R8, S", field="sig"
            )
        try:
            r8 = Point.from_wire(data["R8"], "R8")
            s = parse_field(data["S"], "S")
        except (EncodingError, NonCanonicalError, NotOnCurveError) as exc:
            raise MalformedSignatureError(str(exc), field=exc.field) from exc
        return cls(r8, s)


def generate_secret_key() -> int:
    """A uniformly random secret scalar in [1, L)."""
    return 1 + secrets.randbelow(L - 1)


def require_secret_key(secret: object) -> int:
    """Return `secret` if it is an int in [1, L); raise `InvalidKeyError` otherwise."""
    if type(secret) is not int or not 1 <= secret < L:
        raise InvalidKeyError("secret key must be an int in [1, L)", field="secret_key")
    return secret


def secret_key_to_bytes(secret: int) -> bytes:
    """32-byte big-endian key-file form."""
    return require_secret_key(secret).to_bytes(32, "big")


def secret_key_from_bytes(data: bytes) -> int:
    """Parse the 32-byte big-endian key-file form (must be in [1, L))."""
    if not isinstance(data, bytes | bytearray) or len(data) != 32:
        raise InvalidKeyError("secret key file must hold exactly 32 bytes", field="secret_key")
    return require_secret_key(int.from_bytes(data, "big"))


def public_key(secret: int) -> Point:
    """A = a·Base8."""
    return base8_mul(require_secret_key(secret))


@lru_cache(maxsize=8)
def _cached_public_key(secret: int) -> Point:
    return public_key(secret)


def _challenge(r8: Point, pk: Point, msg: int) -> int:
    return poseidon(r8.x, r8.y, pk.x, pk.y, msg)


def sign(secret: int, msg: int, pk: Point | None = None) -> Signature:
    """Deterministic D4 signature of field element `msg`.

    `pk`, if given, must be `public_key(secret)` (checked; the key is cached either way).
    """
    a = require_secret_key(secret)
    require_canonical(msg, "msg")
    nonce = hashlib.sha512(NONCE_DOMAIN + a.to_bytes(32, "big") + msg.to_bytes(32, "big"))
    r = int.from_bytes(nonce.digest(), "big") % L
    if r == 0:
        raise InvalidKeyError("derived nonce is zero; refusing to sign", field="r")
    r8 = base8_mul(r)
    pub = _cached_public_key(a)
    if pk is not None and pk != pub:
        raise InvalidKeyError("pk is not the public key of this secret key", field="pk")
    hm = _challenge(r8, pub, msg)
    return Signature(R8=r8, S=(r + 8 * hm * a) % L)


# Server keys are verified again and again: after a few uses a fixed-base table of 8·A pays off.
_TABLE_AFTER_USES: Final[int] = 3
_MAX_KEYS: Final[int] = 8
_key_uses: OrderedDict[Point, int] = OrderedDict()
_key_tables: OrderedDict[Point, FixedBaseTable] = OrderedDict()
_key_lock = threading.Lock()


def _key_table(a8: Point) -> FixedBaseTable | None:
    """The table for 8·A once A has been seen often enough (thread-safe, bounded LRU)."""
    with _key_lock:
        table = _key_tables.get(a8)
        if table is not None:
            _key_tables.move_to_end(a8)
            return table
        uses = _key_uses.pop(a8, 0) + 1
        _key_uses[a8] = uses
        if len(_key_uses) > 4 * _MAX_KEYS:
            _key_uses.popitem(last=False)
        if uses < _TABLE_AFTER_USES:
            return None
    table = FixedBaseTable(a8, window=6)
    with _key_lock:
        _key_tables[a8] = table
        if len(_key_tables) > _MAX_KEYS:
            _key_tables.popitem(last=False)
    return table


def _mul_key(a8: Point, scalar: int) -> _Ext:
    table = _key_table(a8)
    if table is not None:
        return table.mul_ext(scalar)
    return _ext_mul(_to_ext(a8), scalar % L)


def verify(pk: Point, msg: int, sig: Signature) -> bool:
    """circomlib `EdDSAPoseidonVerifier`: S < L, A and R8 on curve, 8·A ≠ O, S·B8 = R8 + 8·hm·A."""
    if not isinstance(pk, Point) or not isinstance(sig, Signature):
        return False
    if type(msg) is not int or not 0 <= msg < P:
        return False
    if not 0 <= sig.S < L:
        return False
    a8 = _to_affine(_ext_double(_ext_double(_ext_double(_to_ext(pk)))))
    if a8.is_identity:
        return False
    hm = _challenge(sig.R8, pk, msg)
    # 8·hm·A = hm·(8·A), and 8·A lies in the order-L subgroup, so hm may be reduced mod L.
    right = _to_affine(_ext_add(_to_ext(sig.R8), _mul_key(a8, hm)))
    return fixed_base_table(BASE8).mul(sig.S) == right
