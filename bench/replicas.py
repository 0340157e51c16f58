"""What replicas cost: the shared state on PostgreSQL vs one gateway's local state, same run.

    .venv/bin/python bench/replicas.py [--budget 1.0]

Ours = the replicated path (`prover.gateway.replicas` on a throwaway PostgreSQL started here,
stopped by PID, over loopback TCP); reference = the single-gateway path (in-memory `BodyCache`,
SQLite `PenaltyLog`, SQLite nullifier store). Sides alternate batch by batch under the same load
(`interleave`), and each side's results are checked (bodies read back equal, penalty logs verify,
every reserve is `Reserved`) before anything is written. Also: `MeteredStore` (the metrics
wrapper) against the bare SQLite store, and a lease renewal. Writes bench/results/replicas.json.
Ratio = reference / ours: below 1, the replicated path is slower by that factor.
"""

from __future__ import annotations

import argparse
import json
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reference.timing import Timed, comparison_row, interleave, measure, sig
from zkcredits_testing.postgres import PostgresProcess

from prover.crypto.eddsa import public_key
from prover.gateway.app.body_cache import BodyCache, ReplyBodies
from prover.gateway.app.metered import MeteredStore
from prover.gateway.app.metrics import GatewayMetrics
from prover.gateway.policy.entry import verify_log
from prover.gateway.policy.evidence import canonical
from prover.gateway.policy.log import PenaltyLedger, PenaltyLog
from prover.gateway.replicas import PostgresLease, PostgresPenaltyLog, PostgresReplyBodies, SharedDb
from prover.gateway.store import NullifierStore, Reserved, StoredReply, open_store

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "replicas.json"
SECRET = 0x5EED
BODY = b'{"object":"list","data":[{"embedding":[0.1,0.2,0.3]}],"usage":{"prompt_tokens":5}}'
REPLY = StoredReply.model_validate(
    {
        "cost": "10", "p": "0", "evidence_hash": "0", "E_new": ["1", "2"],
        "sigma_new": {"R8": ["3", "4"], "S": "5"},
    }
)  # fmt: skip


def _bodies(store: ReplyBodies) -> Callable[[int], bool]:
    def op(i: int) -> bool:
        store.put(i, i + 1, 200, "application/json", BODY)
        got = store.get(i, i + 1)
        return got is not None and got.body == BODY

    return op


def _append(log: PenaltyLedger) -> Callable[[int], int]:
    return lambda i: log.append(canonical({"n": i, "r": secrets.token_hex(8)})).seq


def _calls(store: NullifierStore) -> Callable[[int], bool]:
    def op(_i: int) -> bool:
        n = secrets.randbelow(1 << 250) + 1
        ok = isinstance(store.reserve(n, 7, 8, (9, 10)), Reserved)
        store.complete(n, 7, REPLY)
        return ok

    return op


def _side(fn: Callable[[int], Any], budget: float) -> Callable[[int], Timed]:
    counter = iter(range(10**9))
    return lambda _r: measure(lambda _x: fn(next(counter)), [0], budget_s=budget, batches=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--budget", type=float, default=1.0, help="seconds per side and round")
    args = parser.parse_args()
    b = args.budget
    rows: list[dict[str, Any]] = []
    ops: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp, PostgresProcess() as pg:
        db = SharedDb(pg.tcp_dsn, {"chain_id": "31337", "vault": "0x" + "ab" * 20})
        pk = public_key(SECRET)
        bodies = interleave(
            [
                _side(_bodies(PostgresReplyBodies(db, 600, 1 << 20)), b),
                _side(_bodies(BodyCache(600, 1 << 26)), b),
            ]
        )
        assert all(bodies[0]["outputs"]) and all(bodies[1]["outputs"]), "a body did not read back"
        rows.append(comparison_row("reply body put + get", "ms/op", bodies[0]["ms"],
                                   bodies[1]["ms"], "in-memory BodyCache"))  # fmt: skip
        pg_log = PostgresPenaltyLog(db, SECRET)
        sqlite_log = PenaltyLog(Path(tmp) / "penalties.sqlite", SECRET)
        logs = interleave([_side(_append(pg_log), b), _side(_append(sqlite_log), b)])
        verify_log(pg_log.entries(0, 1000), pk)
        verify_log(sqlite_log.entries(0, 1000), pk)
        rows.append(comparison_row("penalty log append (signed, chained, durable)", "ms/op",
                                   logs[0]["ms"], logs[1]["ms"], "SQLite PenaltyLog"))  # fmt: skip
        pg_store = open_store(pg.tcp_dsn)
        sqlite_store = open_store(f"sqlite:///{Path(tmp) / 'nullifiers.sqlite'}")
        calls = interleave([_side(_calls(pg_store), b), _side(_calls(sqlite_store), b)])
        assert all(calls[0]["outputs"]) and all(calls[1]["outputs"])
        rows.append(comparison_row("store reserve + complete", "ms/op", calls[0]["ms"],
                                   calls[1]["ms"], "SQLite store (one gateway)"))  # fmt: skip
        metered = MeteredStore(open_store(f"sqlite:///{Path(tmp) / 'm.sqlite'}"), GatewayMetrics())
        wrapped = interleave([_side(_calls(metered), b), _side(_calls(sqlite_store), b)])
        rows.append(comparison_row("store reserve + complete with metrics", "ms/op",
                                   wrapped[0]["ms"], wrapped[1]["ms"],
                                   "the same store without the metrics wrapper"))  # fmt: skip
        lease = PostgresLease(db, 30)
        renew = measure(lambda _x: lease.acquire(), [0], budget_s=b)
        assert all(renew["outputs"])
        ops.append({"operation": "slasher lease renewal (PostgreSQL)", "ms": sig(renew["ms"])})
        for store in (pg_store, sqlite_store, metered):
            store.close()
        sqlite_log.close()
        db.close()
    result = {"comparison": rows, "ops": ops}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    width = max(len(r["measure"]) for r in rows)
    print(
        f"{'measure'.ljust(width)}  {'ours (PostgreSQL)':>18}  {'reference':>10}  ratio  reference"
    )
    for r in rows:
        print(f"{r['measure'].ljust(width)}  {r['ours']:>18}  {r['reference']:>10}  "
              f"{r['ratio']:>5}  {r['reference_name']}")  # fmt: skip
    for o in ops:
        print(f"{o['operation']}: {o['ms']} ms")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
