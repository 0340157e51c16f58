"""circomlib Baby Jubjub: affine point type, group law, checks, fast scalar multiplication.

Arithmetic runs in extended twisted-Edwards coordinates (X:Y:Z:T) with the complete
add-2008-hwcd / dbl-2008-hwcd formulas and a single inversion at the end. Multiplication of
subgroup points that are used again and again (Base8, the generators, a server key) goes through
fixed-base tables (`FixedBaseTable`), built lazily and cached.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Final

from prover.crypto.errors import (
    EncodingError,
    NonCanonicalError,
    NotInSubgroupError,
    NotOnCurveError,
)
from prover.crypto.field import P, parse_field, require_canonical

A: Final[int] = 168700
D: Final[int] = 168696
ORDER: Final[int] = 21888242871839275222246405745257275088614511777268538073601725287587578984328
"""Order of the full curve group (cofactor 8 times L)."""
L: Final[int] = ORDER >> 3
"""Order of the prime subgroup (circomlib `subOrder`)."""
COFACTOR: Final[int] = 8

_Ext = tuple[int, int, int, int]  # (X, Y, Z, T) with x = X/Z, y = Y/Z, T = X*Y/Z
_Pre = tuple[int, int, int, int]  # affine precomputed (x, y, x + y, d*x*y)


def _on_curve(x: int, y: int) -> bool:
    x2, y2 = x * x % P, y * y % P
    return (A * x2 + y2) % P == (1 + D * x2 % P * y2) % P


class Point:
    """An immutable affine point on Baby Jubjub (coordinates canonical, on the curve).

    Construction checks both; subgroup membership is a separate, explicit check.
    """

    __slots__ = ("x", "y")
    x: int
    y: int

    def __init__(self, x: int, y: int) -> None:
        require_canonical(x, "x")
        require_canonical(y, "y")
        if not _on_curve(x, y):
            raise NotOnCurveError(f"({x}, {y}) is not on Baby Jubjub", field="point")
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)

    @classmethod
    def _trusted(cls, x: int, y: int) -> Point:
        p = object.__new__(cls)
        object.__setattr__(p, "x", x)
        object.__setattr__(p, "y", y)
        return p

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Point is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Point is immutable")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and self.x == other.x and self.y == other.y

    def __hash__(self) -> int:
        return hash((self.x, self.y))

    def __repr__(self) -> str:
        return f"Point(x={self.x}, y={self.y})"

    def __reduce__(self) -> tuple[type[Point], tuple[int, int]]:
        return (Point, (self.x, self.y))

    def __add__(self, other: Point) -> Point:
        return add(self, other)

    def __sub__(self, other: Point) -> Point:
        return add(self, negate(other))

    def __neg__(self) -> Point:
        return negate(self)

    def __rmul__(self, scalar: int) -> Point:
        return mul(self, scalar)

    def __mul__(self, scalar: int) -> Point:
        return mul(self, scalar)

    @property
    def is_identity(self) -> bool:
        return self.x == 0 and self.y == 1

    def to_wire(self) -> list[str]:
        """Wire form of D4: `[x, y]` as decimal strings."""
        return [str(self.x), str(self.y)]

    @classmethod
    def from_wire(cls, data: object, name: str = "point") -> Point:
        """Strictly parse `[x, y]` (decimal strings); checks canonical and on curve."""
        if not isinstance(data, list | tuple) or len(data) != 2:
            raise EncodingError(f"{name} must be a list [x, y]", field=name)
        x = parse_field(data[0], f"{name}.x")
        y = parse_field(data[1], f"{name}.y")
        try:
            return cls(x, y)
        except NotOnCurveError as exc:
            raise NotOnCurveError(f"{name} is not on Baby Jubjub", field=name) from exc


IDENTITY: Final[Point] = Point(0, 1)
BASE8: Final[Point] = Point(
    5299619240641551281634865583518297030282874472190772894086521144482721001553,
    16950150798460657717958625567821834550301663161624707787222815936182638968203,
)
"""circomlib `Base8`, generator of the order-L subgroup."""


# ---------------------------------------------------------------- extended-coordinate core


def _to_ext(p: Point) -> _Ext:
    return (p.x, p.y, 1, p.x * p.y % P)


def _ext_add(p: _Ext, q: _Ext) -> _Ext:
    x1, y1, z1, t1 = p
    x2, y2, z2, t2 = q
    a = x1 * x2 % P
    b = y1 * y2 % P
    c = D * t1 % P * t2 % P
    d = z1 * z2 % P
    e = ((x1 + y1) * (x2 + y2) - a - b) % P
    f = d - c
    g = d + c
    h = b - A * a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _ext_add_pre(p: _Ext, q: _Pre) -> _Ext:
    x1, y1, z1, t1 = p
    x2, y2, s2, dt2 = q
    a = x1 * x2 % P
    b = y1 * y2 % P
    c = t1 * dt2 % P
    e = ((x1 + y1) * s2 - a - b) % P
    f = z1 - c
    g = z1 + c
    h = b - A * a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _ext_double(p: _Ext) -> _Ext:
    x1, y1, z1, _ = p
    a = x1 * x1 % P
    b = y1 * y1 % P
    c = 2 * z1 * z1 % P
    d = A * a
    e = ((x1 + y1) * (x1 + y1) - a - b) % P
    g = (d + b) % P
    f = g - c
    h = d - b
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _to_affine(p: _Ext) -> Point:
    x, y, z, _ = p
    zi = pow(z, -1, P)
    return Point._trusted(x * zi % P, y * zi % P)


def _batch_to_pre(points: Sequence[_Ext]) -> list[_Pre]:
    """Normalise many extended points with one inversion (Montgomery's trick)."""
    prefix: list[int] = []
    acc = 1
    for p in points:
        prefix.append(acc)
        acc = acc * p[2] % P
    inv_acc = pow(acc, -1, P)
    out: list[_Pre] = [(0, 0, 0, 0)] * len(points)
    for i in range(len(points) - 1, -1, -1):
        x, y, z, _ = points[i]
        zi = inv_acc * prefix[i] % P
        inv_acc = inv_acc * z % P
        ax, ay = x * zi % P, y * zi % P
        out[i] = (ax, ay, (ax + ay) % P, D * ax % P * ay % P)
    return out


_EXT_IDENTITY: Final[_Ext] = (0, 1, 1, 0)


def _ext_mul(p: _Ext, scalar: int) -> _Ext:
    """Variable-base multiplication, fixed 4-bit window (scalar >= 0)."""
    if scalar == 0:
        return _EXT_IDENTITY
    if scalar.bit_length() <= 8:  # small scalars (cofactor, tests): plain double-and-add
        acc = _EXT_IDENTITY
        for bit in bin(scalar)[2:]:
            acc = _ext_double(acc)
            if bit == "1":
                acc = _ext_add(acc, p)
        return acc
    table = [_EXT_IDENTITY, p]
    for _ in range(14):
        table.append(_ext_add(table[-1], p))
    acc = _EXT_IDENTITY
    nbits = scalar.bit_length()
    top = (nbits + 3) // 4 * 4
    first = True
    for shift in range(top - 4, -1, -4):
        if not first:
            acc = _ext_double(_ext_double(_ext_double(_ext_double(acc))))
        digit = (scalar >> shift) & 15
        if digit:
            acc = table[digit] if first else _ext_add(acc, table[digit])
            first = False
    return acc


# ---------------------------------------------------------------- fixed-base tables


class FixedBaseTable:
    """Precomputed multiples `j·2^(w·i)·B` of a subgroup point B (scalars reduced mod L).

    A multiplication then costs one mixed addition per non-zero window digit, no doublings.
    """

    __slots__ = ("_rows", "_window", "base")

    def __init__(self, base: Point, window: int = 8) -> None:
        if not 1 <= window <= 10:
            raise NonCanonicalError(f"window must be in [1, 10], got {window}", field="window")
        require_subgroup(base, "base")  # scalars are reduced mod L: only valid for order-L bases
        self.base = base
        self._window = window
        rows = (L.bit_length() + window - 1) // window
        ext: list[_Ext] = []
        row_base = _to_ext(base)
        for _ in range(rows):
            cur = row_base
            for _j in range(1, 1 << window):
                ext.append(cur)
                cur = _ext_add(cur, row_base)
            row_base = cur  # (2^w)·row_base
        flat = _batch_to_pre(ext)
        width = (1 << window) - 1
        self._rows = [flat[r * width : (r + 1) * width] for r in range(rows)]

    def mul_ext(self, scalar: int) -> _Ext:
        k = scalar % L
        w, mask = self._window, (1 << self._window) - 1
        acc = _EXT_IDENTITY
        for row in self._rows:
            if k == 0:
                break
            digit = k & mask
            if digit:
                acc = _ext_add_pre(acc, row[digit - 1])
            k >>= w
        return acc

    def mul(self, scalar: int) -> Point:
        """`scalar·base` for any int scalar (reduced mod L: the base has order L)."""
        return _to_affine(self.mul_ext(scalar))


@lru_cache(maxsize=32)
def fixed_base_table(base: Point, window: int = 8) -> FixedBaseTable:
    """Cached table for a subgroup point (checked: in the subgroup and not the identity)."""
    return FixedBaseTable(base, window)


# ---------------------------------------------------------------- public group operations


def add(p: Point, q: Point) -> Point:
    """Point addition (complete twisted-Edwards law, as circomlib `BabyAdd`)."""
    return _to_affine(_ext_add(_to_ext(p), _to_ext(q)))


def double(p: Point) -> Point:
    """2·p."""
    return _to_affine(_ext_double(_to_ext(p)))


def negate(p: Point) -> Point:
    """-p = (-x, y)."""
    return Point._trusted((P - p.x) % P, p.y)


def mul(p: Point, scalar: int) -> Point:
    """scalar·p for any point and any int scalar (negative scalars negate). Not reduced mod L."""
    if type(scalar) is not int:
        raise NonCanonicalError("scalar must be an int", field="scalar")
    if scalar < 0:
        return negate(mul(p, -scalar))
    if p == BASE8:
        return base8_mul(scalar)
    return _to_affine(_ext_mul(_to_ext(p), scalar))


def base8_mul(scalar: int) -> Point:
    """scalar·Base8 through the cached fixed-base table (scalar taken mod L)."""
    return fixed_base_table(BASE8).mul(scalar)


def sum_points(points: Sequence[Point]) -> Point:
    """Sum of several points with a single final inversion."""
    acc = _EXT_IDENTITY
    for p in points:
        acc = _ext_add(acc, _to_ext(p))
    return _to_affine(acc)


def fixed_base_sum(terms: Sequence[tuple[Point, int]], extra: Sequence[Point] = ()) -> Point:
    """Σ k_i·B_i + Σ extra, with cached fixed-base tables for the subgroup points B_i.

    Scalars are taken mod L (each B_i has order L); a single inversion at the end.
    """
    acc = _EXT_IDENTITY
    for p in extra:
        acc = _ext_add(acc, _to_ext(p))
    for base, k in terms:
        acc = _ext_add(acc, fixed_base_table(base).mul_ext(k))
    return _to_affine(acc)


def in_subgroup(p: Point) -> bool:
    """True iff L·p is the identity (the identity itself is in the subgroup)."""
    return _to_affine(_ext_mul(_to_ext(p), L)).is_identity


def require_subgroup(p: Point, name: str) -> Point:
    """Return `p` if it is a non-identity point of the order-L subgroup; raise otherwise."""
    if p.is_identity:
        raise NotInSubgroupError(f"{name} is the identity", field=name)
    if not in_subgroup(p):
        raise NotInSubgroupError(f"{name} is not in the prime-order subgroup", field=name)
    return p


def require_scalar(value: object, name: str) -> int:
    """Return `value` if it is an int in [0, L); raise `NonCanonicalError` otherwise."""
    if type(value) is not int or not 0 <= value < L:
        raise NonCanonicalError(f"{name} must be an int in [0, L), got {value!r}", field=name)
    return value
