"""`prune` keeps young and in-progress records (§16); `stats` counts what is stored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from prover.gateway.store import (
    SCHEMA_VERSION,
    InProgress,
    NullifierStore,
    Reserved,
    StoredReply,
    StoreError,
    prune_cutoff,
)

REQ = 0xD16E57  # the request digest h (D5) the calls here are reserved for

E_ANON = (1, 2)
WINDOW = timedelta(days=30 + 3 + 2)  # note_ttl_days + exit_grace_days + exit_delay


def test_the_prune_cutoff_is_ttl_plus_grace_plus_exit_delay_before_now() -> None:
    now = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
    cutoff = prune_cutoff(now, note_ttl_days=30, exit_grace_days=3, exit_delay=timedelta(days=2))
    assert cutoff == datetime(2026, 10, 20, 10, 30, tzinfo=UTC)


def test_prune_removes_old_final_records_and_keeps_young_and_in_progress_ones(
    store: NullifierStore, clock: Any, reply: Callable[..., StoredReply]
) -> None:
    store.reserve(1, 10, 11, E_ANON, REQ)  # old, served
    store.complete(1, 10, reply())
    store.reserve(2, 20, 21, E_ANON, REQ)  # old, never served: kept forever
    store.record_withdrawal(3, 30, 31)  # old exit
    store.deny([4])  # old deny-list entry
    clock.advance(WINDOW)
    store.reserve(5, 50, 51, E_ANON, REQ)  # young, served
    store.complete(5, 50, reply(seed=5))
    store.record_withdrawal(6, 60, 61)  # young exit
    clock.advance(timedelta(hours=1))

    cutoff = prune_cutoff(clock(), note_ttl_days=30, exit_grace_days=3, exit_delay=timedelta(2))
    assert store.prune(cutoff) == 3
    assert [store.get_record(n) is None for n in range(1, 7)] == [
        True,
        False,
        True,
        True,
        False,
        False,
    ]
    assert isinstance(store.reserve(2, 20, 21, E_ANON, REQ), InProgress)
    assert store.get_reply(5) == reply(seed=5)
    assert store.prune(cutoff) == 0


def test_a_record_served_late_is_aged_from_its_reply(
    store: NullifierStore, clock: Any, reply: Callable[..., StoredReply]
) -> None:
    store.reserve(1, 10, 11, E_ANON, REQ)
    clock.advance(timedelta(days=10))
    store.complete(1, 10, reply())
    assert store.prune(clock() - timedelta(days=5)) == 0
    assert store.get_reply(1) == reply()
    assert store.prune(clock() + timedelta(seconds=1)) == 1


def test_prune_is_strictly_before_the_cutoff(store: NullifierStore, clock: Any) -> None:
    store.record_withdrawal(1, 10, 11)
    assert store.prune(clock()) == 0
    assert store.prune(clock() + timedelta(microseconds=1)) == 1


def test_a_pruned_ticket_is_forgotten(store: NullifierStore, clock: Any) -> None:
    store.deny([9])
    clock.advance(WINDOW * 2)
    assert store.prune(clock() - WINDOW) == 1
    assert store.reserve(9, 1, 1, E_ANON, REQ) == Reserved()


def test_prune_refuses_a_naive_timestamp(store: NullifierStore) -> None:
    with pytest.raises(StoreError, match="timezone-aware"):
        store.prune(datetime(2026, 1, 1))


def test_stats_count_each_kind_and_the_oldest_call_in_progress(
    store: NullifierStore, clock: Any, reply: Callable[..., StoredReply]
) -> None:
    empty = store.stats()
    assert (empty.total, empty.oldest_in_progress) == (0, None)
    assert empty.backend in ("sqlite", "postgresql") and empty.schema_version == SCHEMA_VERSION
    first = clock()
    store.reserve(1, 10, 11, E_ANON, REQ)
    clock.advance(timedelta(minutes=1))
    store.reserve(2, 20, 21, E_ANON, REQ)
    store.reserve(3, 30, 31, E_ANON, REQ)
    store.complete(3, 30, reply())
    store.record_withdrawal(4, 40, 41)
    store.deny([5, 6])
    stats = store.stats()
    assert (stats.calls_in_progress, stats.calls_served) == (2, 1)
    assert (stats.withdrawals, stats.denied, stats.total) == (1, 2, 6)
    assert stats.oldest_in_progress == first
