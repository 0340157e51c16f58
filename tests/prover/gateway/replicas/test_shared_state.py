"""The replicas' shared state on a real PostgreSQL: a body kept by one replica is served by the
other, one penalty log for all, one slasher at a time (lease), and job changes fenced by it."""

from __future__ import annotations

import threading
import time

import pytest

from prover.crypto.eddsa import public_key
from prover.gateway.chain.jobs import JobStatus
from prover.gateway.chain.lease import LeaseKeeper
from prover.gateway.policy.entry import verify_log
from prover.gateway.policy.evidence import canonical
from prover.gateway.replicas import (
    LeaseLostError,
    PostgresLease,
    PostgresPenaltyLog,
    PostgresReplyBodies,
    PostgresSlashJobs,
    ReplicaConfigError,
    SharedDb,
)

SECRET = 0x5EC12E7


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_body_kept_by_one_replica_is_served_by_the_other_for_its_x_only(
    two_dbs: tuple[SharedDb, SharedDb],
) -> None:
    a, b = two_dbs
    clock = Clock()
    keep = PostgresReplyBodies(a, ttl=600, max_bytes=1 << 20, clock=clock)
    serve = PostgresReplyBodies(b, ttl=600, max_bytes=1 << 20, clock=clock)
    keep.put(7, 11, 200, "application/json", b'{"answer": 42}')
    got = serve.get(7, 11)
    assert got is not None and (got.status, got.content_type, got.body) == (
        200, "application/json", b'{"answer": 42}',
    )  # fmt: skip
    assert serve.get(7, 12) is None  # another request on the same ticket gets no body
    assert serve.get(8, 11) is None
    keep.put(7, 11, 502, "application/json", b"{}")  # a later put replaces (upsert)
    replaced = serve.get(7, 11)
    assert replaced is not None and replaced.status == 502
    clock.now += 601
    assert serve.get(7, 11) is None  # past its ttl
    keep.put(9, 1, 200, "text/plain", b"x" * ((1 << 20) + 1))
    assert serve.get(9, 1) is None  # over max_bytes: not kept


def test_one_penalty_log_for_all_replicas_stays_one_signed_chain_under_concurrent_appends(
    two_dbs: tuple[SharedDb, SharedDb],
) -> None:
    logs = [PostgresPenaltyLog(db, SECRET) for db in two_dbs]
    evidences = [canonical({"rule": "r", "n": i}) for i in range(24)]
    results: dict[bytes, list[int]] = {e: [] for e in evidences}
    lock = threading.Lock()

    def append(log: PostgresPenaltyLog, items: list[bytes]) -> None:
        for evidence in items:
            entry = log.append(evidence)
            with lock:
                results[evidence].append(entry.seq)

    # Each evidence is appended twice, once through each replica, from four threads.
    threads = [
        threading.Thread(target=append, args=(logs[i % 2], evidences[i % 2 :: 2] + evidences))
        for i in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entries = logs[1].entries(0, 1000)
    assert len(entries) == len(evidences)
    verify_log(entries, public_key(SECRET))  # one intact, signed hash chain from seq 0
    for evidence, seqs in results.items():
        assert len(set(seqs)) == 1, evidence  # a repeat returns the entry already written
    head = logs[0].head()
    assert head is not None and head == entries[-1]
    assert logs[0].find(bytes.fromhex(entries[3].evidence_hash[2:])) == entries[3]


def test_a_database_of_another_deployment_is_refused(dsn: str, identity: dict[str, str]) -> None:
    SharedDb(dsn, identity).close()
    with pytest.raises(ReplicaConfigError) as info:
        SharedDb(dsn, {**identity, "vault": "0x" + "cd" * 20})
    assert info.value.field == "store" and "vault" in str(info.value)


def _expire(db: SharedDb) -> None:
    """The lease's expiry passes (as if its holder stalled past its ttl)."""
    with db.tx() as conn:
        conn.execute("UPDATE leases SET expires_at = clock_timestamp() - interval '1 second'")


def test_one_holder_at_a_time_and_a_takeover_only_after_expiry(
    two_dbs: tuple[SharedDb, SharedDb],
) -> None:
    a_db, b_db = two_dbs
    a, b = PostgresLease(a_db, ttl=60), PostgresLease(b_db, ttl=60)
    assert a.acquire() and not b.acquire()
    assert a.acquire()  # renewal by the holder
    assert a.current() == (a.holder, 1)
    _expire(a_db)
    assert b.acquire() and not a.acquire()
    assert b.current() == (b.holder, 2)  # a new term at each change of holder
    b.release()
    assert a.acquire()


def test_only_the_lease_holder_changes_jobs_and_a_stalled_one_is_fenced_out(
    two_dbs: tuple[SharedDb, SharedDb],
) -> None:
    a_db, b_db = two_dbs
    a_lease, b_lease = PostgresLease(a_db, ttl=60), PostgresLease(b_db, ttl=60)
    a_jobs, b_jobs = PostgresSlashJobs(a_db, a_lease), PostgresSlashJobs(b_db, b_lease)
    assert a_lease.acquire()
    job, created = b_jobs.add(101, 5, "double-spend")  # any replica queues a job
    assert created and job.status is JobStatus.QUEUED
    assert a_jobs.add(101, 5, "again") == (job, False)
    with pytest.raises(LeaseLostError):
        b_jobs.update(101, status=JobStatus.SIGNED, raw_tx=b"\x01", nonce=3)
    with pytest.raises(LeaseLostError):
        b_jobs.set_cursor("withdrawals", 9)
    assert a_jobs.get(101) == job and a_jobs.cursor("withdrawals") == 0
    signed = a_jobs.update(101, status=JobStatus.SIGNED, raw_tx=b"\x01", nonce=3, tx_hash="0xab")
    assert signed.status is JobStatus.SIGNED and signed.raw_tx == b"\x01" and signed.nonce == 3
    a_jobs.set_cursor("withdrawals", 4)
    # A stalls past its lease; B takes over and sees the stored transaction, A is fenced out.
    _expire(a_db)
    assert b_lease.acquire()
    assert b_jobs.open_jobs() == [signed]
    with pytest.raises(LeaseLostError):
        a_jobs.update(101, status=JobStatus.DONE)
    with pytest.raises(LeaseLostError):
        a_jobs.set_cursor("withdrawals", 5)
    assert b_jobs.update(101, status=JobStatus.DONE).status is JobStatus.DONE
    assert b_jobs.cursor("withdrawals") == 4 and b_jobs.open_jobs() == []


def test_two_keepers_hold_the_lease_one_at_a_time_and_hand_it_over_when_one_stops(
    two_dbs: tuple[SharedDb, SharedDb],
) -> None:
    keepers = [LeaseKeeper(PostgresLease(db, ttl=6.0), ttl=6.0) for db in two_dbs]
    for keeper in keepers:
        keeper.start()
    try:
        holders = [k for k in keepers if k.held()]
        assert len(holders) == 1
        holder, other = holders[0], next(k for k in keepers if k is not holders[0])
        holder.stop()  # releases the lease
        deadline = time.monotonic() + 60
        while not other.held():
            assert time.monotonic() < deadline, "the other replica never took the lease"
            time.sleep(0.1)
        assert not holder.held() or holder._thread is None
    finally:
        for keeper in keepers:
            keeper.stop()


def test_the_shared_tables_are_bound_in_replica_meta(dsn: str, identity: dict[str, str]) -> None:
    db = SharedDb(dsn, identity)
    try:
        with db.tx() as conn:
            rows = dict(conn.execute("SELECT key, value FROM replica_meta").fetchall())
    finally:
        db.close()
    assert {k: rows[k] for k in identity} == identity and rows["schema_version"] == "1"
