"""Linearizability under contention: many OS processes (and threads) race on one nullifier.

Workers are forked processes; each opens its own store (its own SQLite connection and file
locks, or its own PostgreSQL session), waits on a barrier so all strike at once, and reports its
outcome through a queue.
"""

from __future__ import annotations

import multiprocessing as mp
import random
import threading
from collections import Counter
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

import psycopg
from psycopg import sql
from zkcredits_testing.postgres import PostgresInfo

from prover.crypto.field import P
from prover.crypto.rln import recover_secret
from prover.gateway.store import (
    SCHEMA_VERSION,
    DoubleSpend,
    InProgress,
    NullifierStore,
    Reserved,
    WithdrawalRecorded,
    open_store,
)

REQ = 0xD16E57  # the request digest h (D5) the calls here are reserved for

PROCESSES = 8
K = 0xC0FFEE * 2**190 % P
A = 0xBEEF * 2**170 % P
NULLIFIER = 0xABCDEF
CTX = mp.get_context("fork")


def _share(x: int) -> int:
    return (K + A * x) % P


def _race(
    url: str, jobs: list[tuple[str, int]], *, open_first: bool = True
) -> list[tuple[str, int, dict[str, Any]]]:
    """Run one job per process at once; each job is ("reserve" | "withdraw", x) or
    ("request", h): one key (x = 555) signing request h. With
    `open_first=False` the processes also open (and create) the store at the same moment."""
    barrier = CTX.Barrier(len(jobs))
    results: Queue[tuple[str, int, dict[str, Any]]] = CTX.Queue()
    workers = [
        CTX.Process(target=_worker, args=(url, job, x, barrier, results, open_first))
        for job, x in jobs
    ]
    for worker in workers:
        worker.start()
    collected = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    errors = [o for _, _, o in collected if o["outcome"] == "error"]
    assert errors == []
    assert [worker.exitcode for worker in workers] == [0] * len(workers)
    return collected


def _worker(
    url: str,
    job: str,
    x: int,
    barrier: Barrier,
    results: Queue[tuple[str, int, dict[str, Any]]],
    open_first: bool,
) -> None:
    try:
        if not open_first:
            barrier.wait(timeout=60)
        store = open_store(url)
        if open_first:
            barrier.wait(timeout=60)
        if job == "reserve":
            outcome: Any = store.reserve(NULLIFIER, x, _share(x), (x, x + 1), REQ)
        elif job == "request":
            outcome = store.reserve(NULLIFIER, 555, _share(555), (555, 556), x)
        else:
            outcome = store.record_withdrawal(NULLIFIER, x, _share(x))
        results.put((job, x, outcome.model_dump(mode="json")))
        store.close()
    except BaseException as exc:  # report instead of leaving the parent waiting
        results.put((job, x, {"outcome": "error", "error": repr(exc)}))
        raise


def test_eight_processes_with_distinct_x_one_wins_and_the_rest_see_a_double_spend(
    store_url: str,
) -> None:
    open_store(store_url).close()  # schema exists before the race
    outcomes = _race(store_url, [("reserve", 100 + i) for i in range(PROCESSES)])
    winners = [x for _, x, o in outcomes if o["outcome"] == "reserved"]
    assert len(winners) == 1
    (winner,) = winners
    for _, x, outcome in outcomes:
        if x == winner:
            continue
        spend = DoubleSpend.model_validate(outcome)
        assert spend.share == (winner, _share(winner))
        assert recover_secret(winner, _share(winner), x, _share(x)) == K
    with open_store(store_url) as store:
        record = store.get_record(NULLIFIER)
        assert record is not None and record.x == winner and record.E_anon == (winner, winner + 1)
        assert store.stats().total == 1


def test_eight_processes_with_the_same_x_one_reserves_and_the_rest_see_it_in_progress(
    store_url: str,
) -> None:
    open_store(store_url).close()
    outcomes = _race(store_url, [("reserve", 555)] * PROCESSES)
    counts = Counter(o["outcome"] for _, _, o in outcomes)
    assert counts == Counter({"reserved": 1, "in_progress": PROCESSES - 1})


def test_eight_processes_with_one_key_and_eight_requests_serve_one_request_and_slash_none(
    store_url: str,
) -> None:
    open_store(store_url).close()
    outcomes = _race(store_url, [("request", 7000 + i) for i in range(PROCESSES)])
    counts = Counter(o["outcome"] for _, _, o in outcomes)
    assert counts == Counter({"reserved": 1, "ticket_reserved": PROCESSES - 1})
    (winner,) = [h for _, h, o in outcomes if o["outcome"] == "reserved"]
    assert all(o["reply"] is None for _, _, o in outcomes if o["outcome"] == "ticket_reserved")
    with open_store(store_url) as store:
        record = store.get_record(NULLIFIER)
        assert record is not None and record.request_digest == winner and record.x == 555
        assert store.stats().total == 1


def test_replicas_creating_a_new_store_at_the_same_moment_agree_on_one_ledger(
    store_url: str,
) -> None:
    outcomes = _race(store_url, [("reserve", 100 + i) for i in range(PROCESSES)], open_first=False)
    counts = Counter(o["outcome"] for _, _, o in outcomes)
    assert counts == Counter({"reserved": 1, "double_spend": PROCESSES - 1})
    with open_store(store_url) as store:
        assert store.schema_version() == SCHEMA_VERSION and store.stats().total == 1


def test_calls_racing_an_exit_on_one_ticket_leave_exactly_one_spender(store_url: str) -> None:
    open_store(store_url).close()
    x_w = 999_999
    jobs = [("reserve", 200 + i) for i in range(4)] + [("withdraw", x_w)] * 4
    outcomes = _race(store_url, jobs)
    first_spend = WithdrawalRecorded(already_known=False).model_dump(mode="json")
    winners = [(job, x) for job, x, o in outcomes if o["outcome"] == "reserved" or o == first_spend]
    assert len(winners) == 1
    winner_job, winner_x = winners[0]
    losers = [(job, o) for job, x, o in outcomes if (job, x) != (winner_job, winner_x)]
    if winner_job == "withdraw":  # the other three sightings of the same exit are repeats
        losers = [(job, o) for job, x, o in outcomes if job == "reserve"]
        repeats = [o for job, _, o in outcomes if job == "withdraw" and o != first_spend]
        assert repeats == [WithdrawalRecorded(already_known=True).model_dump(mode="json")] * 3
    for _, outcome in losers:
        assert DoubleSpend.model_validate(outcome).share == (winner_x, _share(winner_x))


def test_many_processes_reserving_many_nullifiers_win_each_exactly_once(
    store_url: str,
) -> None:
    open_store(store_url).close()
    won: Queue[list[int] | str] = CTX.Queue()

    def sweep(seed: int) -> None:
        order = list(range(1, 41))
        random.Random(seed).shuffle(order)
        try:
            with open_store(store_url) as store:
                won.put(
                    [n for n in order if store.reserve(n, seed, seed, (1, 1), REQ) == Reserved()]
                )
        except BaseException as exc:  # report instead of leaving the parent waiting
            won.put(repr(exc))
            raise

    workers = [CTX.Process(target=sweep, args=(seed,)) for seed in range(4)]
    for worker in workers:
        worker.start()
    reports = [won.get(timeout=60) for _ in workers]
    assert [r for r in reports if isinstance(r, str)] == []
    wins = [n for r in reports if not isinstance(r, str) for n in r]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert sorted(wins) == list(range(1, 41))


def test_threads_sharing_one_store_object_also_get_exactly_one_reservation(
    store: NullifierStore,
) -> None:
    barrier = threading.Barrier(PROCESSES)
    outcomes: list[object] = []
    lock = threading.Lock()

    def reserve(x: int) -> None:
        barrier.wait(timeout=30)
        outcome = store.reserve(NULLIFIER, x, _share(x), (1, 1), REQ)
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=reserve, args=(300 + i % 2,)) for i in range(PROCESSES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    kinds = Counter(type(o).__name__ for o in outcomes)
    assert kinds[Reserved.__name__] == 1
    assert kinds[Reserved.__name__] + kinds[InProgress.__name__] + kinds["DoubleSpend"] == 8
    assert kinds[InProgress.__name__] == 3 and kinds["DoubleSpend"] == 4


def test_a_postgres_database_defaulting_to_repeatable_read_still_settles_races(
    empty_postgres: PostgresInfo,
) -> None:
    """The store pins READ COMMITTED: under REPEATABLE READ the losers' read-back (or their
    insert) would fail to see the concurrent winner."""
    postgres_server = empty_postgres
    alter = sql.SQL("ALTER DATABASE {} SET default_transaction_isolation = {}")
    database = sql.Identifier(postgres_server.dbname)
    with psycopg.connect(postgres_server.dsn, autocommit=True) as conn:
        conn.execute(alter.format(database, sql.Literal("repeatable read")))
    try:
        open_store(postgres_server.dsn).close()
        outcomes = _race(postgres_server.dsn, [("reserve", 100 + i) for i in range(PROCESSES)])
    finally:
        with psycopg.connect(postgres_server.dsn, autocommit=True) as conn:
            conn.execute(alter.format(database, sql.Literal("read committed")))
    counts = Counter(o["outcome"] for _, _, o in outcomes)
    assert counts == Counter({"reserved": 1, "double_spend": PROCESSES - 1})
