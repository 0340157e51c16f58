"""Durability: what a process was told is stored survives that process being SIGKILLed.

Children are fresh Python interpreters (`python -c`) that open the store, acknowledge each
operation on stdout only after the store returned, and die by SIGKILL without closing anything.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable

from prover.gateway.store import (
    DoubleSpend,
    EAnonMismatch,
    InProgress,
    Kind,
    Retry,
    Status,
    StoredReply,
    TicketReserved,
    open_store,
)

REQ = 0xD16E57  # the request digest h (D5) the calls here are reserved for

_CHILD = """
import os, signal, sys
from prover.gateway.store import StoredReply, StoredSignature, open_store

REQ = 0xD16E57  # the request digest h (D5) the calls here are reserved for

url, limit, self_kill = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
store = open_store(url)

def reply(n):
    return StoredReply(cost=str(n), p="0", evidence_hash="0", E_new=(str(n), "1"),
                       sigma_new=StoredSignature(R8=("2", "3"), S=str(n)))

n = 0
while limit == 0 or n < limit:
    n += 1
    store.reserve(n, 1000 + n, 2000 + n, (n, n), REQ)
    if n % 2 == 0:
        store.complete(n, 1000 + n, reply(n))
    print(n, flush=True)
if self_kill:
    os.kill(os.getpid(), signal.SIGKILL)
"""


def _reply(n: int) -> StoredReply:
    from prover.gateway.store import StoredSignature

    return StoredReply(
        cost=str(n),
        p="0",
        evidence_hash="0",
        E_new=(str(n), "1"),
        sigma_new=StoredSignature(R8=("2", "3"), S=str(n)),
    )


def _spawn(url: str, limit: int, self_kill: bool) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, url, str(limit), "1" if self_kill else "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _check_acknowledged(url: str, acknowledged: int) -> None:
    with open_store(url) as store:
        for n in range(1, acknowledged + 1):
            record = store.get_record(n)
            assert record is not None, f"acknowledged nullifier {n} was lost"
            assert (record.kind, record.x, record.y, record.E_anon) == (
                Kind.CALL,
                1000 + n,
                2000 + n,
                (n, n),
            )
            if n % 2 == 0:
                assert record.status is Status.SERVED and record.reply == _reply(n)
            else:
                assert record.status is Status.IN_PROGRESS


def test_a_reservation_survives_its_process_being_killed_before_closing(
    store_url: str,
) -> None:
    child = _spawn(store_url, 1, self_kill=True)
    out, err = child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL, err
    assert out.split() == ["1"]
    with open_store(store_url) as store:
        assert isinstance(store.reserve(1, 1001, 2001, (1, 1), REQ), InProgress)
        # the request and the point the ticket was reserved for survived the kill too
        assert store.reserve(1, 1001, 2001, (1, 1), REQ + 1) == TicketReserved(reply=None)
        assert store.reserve(1, 1001, 2001, (2, 2), REQ) == EAnonMismatch()
        spend = store.reserve(1, 5, 6, (1, 1), REQ)
        assert isinstance(spend, DoubleSpend) and spend.share == (1001, 2001)


def test_a_served_reply_survives_its_process_being_killed(store_url: str) -> None:
    child = _spawn(store_url, 2, self_kill=True)
    out, err = child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL, err
    assert out.split() == ["1", "2"]
    with open_store(store_url) as store:
        assert store.reserve(2, 1002, 2002, (2, 2), REQ) == Retry(reply=_reply(2))
        assert store.get_reply(2) == _reply(2)


def test_killing_a_busy_writer_at_a_random_moment_loses_no_acknowledged_ticket(
    store_url: str,
) -> None:
    child = _spawn(store_url, 0, self_kill=False)
    assert child.stdout is not None
    acknowledged = 0
    while acknowledged < 25:
        line = child.stdout.readline()
        assert line, child.stderr.read() if child.stderr else "child exited"
        acknowledged = int(line)
    os.kill(child.pid, signal.SIGKILL)  # mid-stream: it may be inside a transaction
    rest, _ = child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL
    acknowledged = max([acknowledged, *(int(n) for n in rest.split())])
    _check_acknowledged(store_url, acknowledged)
    with open_store(store_url) as store:  # at most the one operation in flight went further
        assert store.stats().total in (acknowledged, acknowledged + 1)


def test_reopening_after_a_crash_loses_nothing_and_accepts_new_work(
    store_url: str, reply: Callable[..., StoredReply]
) -> None:
    child = _spawn(store_url, 6, self_kill=True)
    _, err = child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL, err
    _check_acknowledged(store_url, 6)
    with open_store(store_url) as store:
        store.complete(1, 1001, reply(seed=1))  # a call left in progress by the crash
        store.reserve(7, 1007, 2007, (7, 7), REQ)
    with open_store(store_url) as store:
        assert store.get_reply(1) == reply(seed=1)
        assert store.stats().total == 7
        assert store.stats().calls_served == 4
