"""Micro-benchmarks of the crypto hot paths: `python bench/crypto.py` (prints ms per op)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from prover.crypto import (
    BASE8,
    G_H,
    L,
    LeanIMT,
    Opening,
    P,
    base8_mul,
    commit,
    generate_secret_key,
    mul,
    next_commitment,
    poseidon,
    public_key,
    sign,
    verify,
)


def bench(name: str, fn: Callable[[], object], repeat: int = 200) -> None:
    fn()  # warm caches (fixed-base tables) outside the timing
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    per = (time.perf_counter() - start) / repeat * 1e3
    print(f"{name:<44} {per:8.3f} ms")


def main() -> None:
    t0 = time.perf_counter()
    base8_mul(1)
    build_ms = (time.perf_counter() - t0) * 1e3
    print(f"{'Base8 table build (lazy, once per process)':<44} {build_ms:8.3f} ms")
    sk = generate_secret_key()
    pk = public_key(sk)
    msg = secrets.randbelow(P)
    sig = sign(sk, msg, pk)
    k = secrets.randbelow(L)
    e = commit(Opening(n=5, C=1000, P=0, ID=secrets.randbelow(P), rho=secrets.randbelow(L)))
    bench("poseidon(5)", lambda: poseidon(1, 2, 3, 4, 5), 2000)
    bench("fixed-base mul (k·Base8, 253-bit k)", lambda: base8_mul(k))
    bench("variable-base mul (k·G_H, 253-bit k)", lambda: mul(G_H + BASE8, k))
    bench("next_commitment (E_anon + G_n + c·G_C + p·G_P)", lambda: next_commitment(e, 1234, 0))
    bench("commit (five fixed-base terms)", lambda: commit(Opening(1, 2, 3, 4, k)))
    bench("sign", lambda: sign(sk, msg, pk))
    bench("verify (same key, table cached)", lambda: verify(pk, msg, sig))
    keys = [public_key(generate_secret_key()) for _ in range(50)]
    it = iter(keys)
    bench("verify (a new key each time, no table)", lambda: verify(next(it), msg, sig), 40)
    leaves = [secrets.randbelow(P - 1) + 1 for _ in range(1 << 16)]
    t0 = time.perf_counter()
    tree = LeanIMT(leaves)
    print(f"{'LeanIMT insert_many 2^16 leaves':<44} {(time.perf_counter() - t0) * 1e3:8.1f} ms")
    bench("LeanIMT insert (size 2^16)", lambda: tree.insert(secrets.randbelow(P - 1) + 1), 200)
    bench("LeanIMT proof (size 2^16)", lambda: tree.proof(12345), 200)


if __name__ == "__main__":
    main()
