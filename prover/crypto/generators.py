"""The five independent generators of D2 (try-and-increment hash-to-curve times cofactor 8)."""

from __future__ import annotations

import hashlib
from typing import Final

from prover.crypto.babyjub import BASE8, COFACTOR, A, D, Point, fixed_base_table, in_subgroup, mul
from prover.crypto.errors import CryptoError
from prover.crypto.field import P, sqrt

SEED_PREFIX: Final[str] = "zkcredits/v1/"
GENERATOR_NAMES: Final[tuple[str, ...]] = ("G_n", "G_C", "G_P", "G_ID", "G_H")
MAX_COUNTER: Final[int] = 1 << 16


def seed_for(name: str) -> bytes:
    """ASCII seed of a generator, e.g. b"zkcredits/v1/G_n"."""
    return (SEED_PREFIX + name).encode("ascii")


def hash_to_curve(seed: bytes) -> tuple[Point, int]:
    """D2 try-and-increment: returns (G, ctr) for the first counter that yields a valid G."""
    for ctr in range(MAX_COUNTER):
        digest = hashlib.sha256(seed + ctr.to_bytes(4, "big")).digest()
        y = int.from_bytes(digest, "big") % P
        y2 = y * y % P
        den = (A - D * y2) % P
        if den == 0:
            continue
        x = sqrt((1 - y2) * pow(den, -1, P) % P)
        if x is None or x == 0:
            continue
        if x > (P - 1) // 2:
            x = P - x
        g = mul(Point(x, y), COFACTOR)
        if g.is_identity or not in_subgroup(g):
            continue
        return g, ctr
    raise CryptoError(f"hash_to_curve found no point for seed {seed!r}", field="seed")


def derive_generator(name: str) -> Point:
    """Re-derive generator `name` (one of GENERATOR_NAMES) from its seed."""
    return hash_to_curve(seed_for(name))[0]


G_N: Final[Point] = Point(
    20922021489770819468221835970332307351229614848479984895378200438327927250293,
    19699995997394205888442003571829875523744806126716214097538037358314193485656,
)
"""G_n = 8·(point from seed 'zkcredits/v1/G_n', counter 3)."""

G_C: Final[Point] = Point(
    10029186267399050678358017445148954425132099587316645195062057251099431363916,
    3458056777359843277660013643816190997683820225560533679284162107680038859396,
)
"""G_C = 8·(point from seed 'zkcredits/v1/G_C', counter 0)."""

G_P: Final[Point] = Point(
    4716724866852568077314724742332721060048078949210434618288482967405955895833,
    13365817706264705930709486256667771679163283195398900010571361950847879913006,
)
"""G_P = 8·(point from seed 'zkcredits/v1/G_P', counter 0)."""

G_ID: Final[Point] = Point(
    621800035053061711960182975494147485083560177387192412240765405010620488913,
    21613893185489277694646603644769890481699297620906056506444203923521462457281,
)
"""G_ID = 8·(point from seed 'zkcredits/v1/G_ID', counter 0)."""

G_H: Final[Point] = Point(
    8917867874836360489674588449608559587385424156232257384562616536155959692139,
    8153640487141752789325281645038188015380335874193108290060525983521808757471,
)
"""G_H = 8·(point from seed 'zkcredits/v1/G_H', counter 0)."""

GENERATORS: Final[dict[str, Point]] = {
    "G_n": G_N,
    "G_C": G_C,
    "G_P": G_P,
    "G_ID": G_ID,
    "G_H": G_H,
}


def precompute_tables() -> None:
    """Build the fixed-base tables of Base8 and the five generators now (~0.1 s each).

    They are otherwise built lazily on first use; a gateway calls this at start-up so the first
    paid call is not slower than the rest.
    """
    for point in (BASE8, *GENERATORS.values()):
        fixed_base_table(point)
