"""Hypothesis stateful test: each backend behaves exactly like a dict-based model of §16."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from prover.crypto.field import P
from prover.gateway.store import (
    DoubleSpend,
    EAnonMismatch,
    InProgress,
    Kind,
    NotACall,
    ReplyConflict,
    RequestMismatch,
    Reserved,
    Retry,
    Status,
    StoredReply,
    StoreError,
    TicketReserved,
    UnknownNullifier,
    WithdrawalRecorded,
    open_store,
)

NULLIFIERS = st.sampled_from([1, 2, 3, P - 1])
XS = st.sampled_from([11, 12])
REQUESTS = st.sampled_from([0xD16E57, 0xD16E58])  # request digests h (D5)
POINTS = st.sampled_from([(5, 6), (7, 8)])  # E_anon
X_W = 99


@dataclass(frozen=True)
class Entry:
    kind: Kind
    status: Status
    x: int | None
    y: int | None
    reply_seed: int | None
    touched: datetime  # creation, or the reply once served
    request: int | None = None
    e_anon: tuple[int, int] | None = None


def _y(nullifier: int, x: int) -> int:
    return (nullifier * 7919 + x) % P


def _check_model_run(
    fresh_url: Callable[[], str],
    make_clock: Callable[[], Any],
    make_reply: Callable[..., StoredReply],
) -> None:
    class StoreMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.clock = make_clock()
            self.store = open_store(fresh_url(), clock=self.clock)
            self.model: dict[int, Entry] = {}

        def teardown(self) -> None:
            self.store.close()

        def _spent(self, entry: Entry) -> DoubleSpend:
            return DoubleSpend(first_kind=entry.kind, first_x=entry.x, first_y=entry.y)

        @rule(nullifier=NULLIFIERS, x=XS, request=REQUESTS, point=POINTS)
        def reserve(self, nullifier: int, x: int, request: int, point: tuple[int, int]) -> None:
            got = self.store.reserve(nullifier, x, _y(nullifier, x), point, request)
            entry = self.model.get(nullifier)
            served = None if entry is None or entry.reply_seed is None else entry.reply_seed
            stored = None if served is None else make_reply(seed=served)
            if entry is None:
                assert got == Reserved()
                self.model[nullifier] = Entry(
                    Kind.CALL, Status.IN_PROGRESS, x, _y(nullifier, x), None, self.clock(),
                    request, point,
                )  # fmt: skip
            elif entry.kind is not Kind.CALL or entry.x != x:
                assert got == self._spent(entry)
            elif entry.request != request:
                assert got == TicketReserved(reply=stored)
            elif entry.e_anon != point:
                assert got == EAnonMismatch()
            elif entry.status is Status.IN_PROGRESS:
                assert isinstance(got, InProgress)
            else:
                assert got == Retry(reply=stored)

        @rule(nullifier=NULLIFIERS, x=XS, seed=st.sampled_from([0, 1]))
        def complete(self, nullifier: int, x: int, seed: int) -> None:
            entry = self.model.get(nullifier)
            expected: type[StoreError] | None = None
            if entry is None:
                expected = UnknownNullifier
            elif entry.kind is not Kind.CALL:
                expected = NotACall
            elif entry.x != x:
                expected = RequestMismatch
            elif entry.status is Status.SERVED and entry.reply_seed != seed:
                expected = ReplyConflict
            try:
                record = self.store.complete(nullifier, x, make_reply(seed=seed))
            except StoreError as exc:
                assert type(exc) is expected
                return
            assert expected is None and entry is not None
            if entry.status is Status.IN_PROGRESS:
                entry = replace(entry, status=Status.SERVED, reply_seed=seed, touched=self.clock())
                self.model[nullifier] = entry
            assert record.reply == make_reply(seed=seed)
            assert record.status is Status.SERVED

        @rule(nullifier=NULLIFIERS, variant=st.sampled_from([0, 1]))
        def withdraw(self, nullifier: int, variant: int) -> None:
            y_w = (10_000 + nullifier + variant) % P
            got = self.store.record_withdrawal(nullifier, X_W, y_w)
            entry = self.model.get(nullifier)
            if entry is None:
                assert got == WithdrawalRecorded(already_known=False)
                self.model[nullifier] = Entry(
                    Kind.WITHDRAWAL, Status.SERVED, X_W, y_w, None, self.clock()
                )
            elif entry.kind is Kind.WITHDRAWAL and (entry.x, entry.y) == (X_W, y_w):
                assert got == WithdrawalRecorded(already_known=True)
            else:
                assert got == self._spent(entry)

        @rule(nullifiers=st.lists(NULLIFIERS, max_size=3))
        def deny(self, nullifiers: list[int]) -> None:
            new = {n for n in nullifiers if n not in self.model}
            assert self.store.deny(nullifiers) == len(new)
            for n in new:
                self.model[n] = Entry(Kind.DENIED, Status.SERVED, None, None, None, self.clock())

        @rule(nullifier=NULLIFIERS)
        def get_reply(self, nullifier: int) -> None:
            entry = self.model.get(nullifier)
            served = entry is not None and entry.kind is Kind.CALL and entry.reply_seed is not None
            expected = make_reply(seed=entry.reply_seed or 0) if served and entry else None
            assert self.store.get_reply(nullifier) == expected

        @rule(days=st.sampled_from([0, 1, 20]))
        def advance(self, days: int) -> None:
            self.clock.advance(timedelta(days=days, seconds=1))

        @rule(age_days=st.sampled_from([0, 10, 30]))
        def prune(self, age_days: int) -> None:
            cutoff = self.clock() - timedelta(days=age_days)
            doomed = [
                n for n, e in self.model.items() if e.status is Status.SERVED and e.touched < cutoff
            ]
            assert self.store.prune(cutoff) == len(doomed)
            for n in doomed:
                del self.model[n]

        @invariant()
        def counts_match(self) -> None:
            stats = self.store.stats()
            by = [(e.kind, e.status) for e in self.model.values()]
            assert stats.calls_in_progress == by.count((Kind.CALL, Status.IN_PROGRESS))
            assert stats.calls_served == by.count((Kind.CALL, Status.SERVED))
            assert stats.withdrawals == by.count((Kind.WITHDRAWAL, Status.SERVED))
            assert stats.denied == by.count((Kind.DENIED, Status.SERVED))

    run_state_machine_as_test(
        StoreMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


def test_the_store_behaves_like_the_in_memory_model(
    fresh_url: Callable[[], str],
    clock_factory: Callable[[], Any],
    reply: Callable[..., StoredReply],
) -> None:
    _check_model_run(fresh_url, clock_factory, reply)
