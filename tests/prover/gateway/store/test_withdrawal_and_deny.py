"""Exits seen by the watcher (§7) and the deny-list of a slashed note (§10) against calls."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from prover.crypto.field import P
from prover.crypto.rln import nullifier, recover_secret, share, slope, withdrawal_point
from prover.gateway.store import (
    DoubleSpend,
    Kind,
    NullifierStore,
    Reserved,
    StoredReply,
    WithdrawalRecorded,
)

REQ = 0xD16E57  # the request digest h (D5) the calls here are reserved for

K = 31337 * 2**200 % P
SERVICE = 4242
X_W = withdrawal_point(SERVICE)
E_ANON = (8, 9)


def ticket(n: int) -> tuple[int, int]:
    a = slope(K, n, SERVICE)
    return nullifier(a), a


def test_a_call_on_a_withdrawn_ticket_is_a_double_spend_that_reveals_the_secret(
    store: NullifierStore,
) -> None:
    key, a = ticket(3)
    assert store.record_withdrawal(key, X_W, share(K, a, X_W)) == WithdrawalRecorded(
        already_known=False
    )
    x = 123456789
    outcome = store.reserve(key, x, share(K, a, x), E_ANON, REQ)
    assert isinstance(outcome, DoubleSpend)
    assert outcome.first_kind is Kind.WITHDRAWAL
    assert outcome.share == (X_W, share(K, a, X_W))
    assert recover_secret(X_W, share(K, a, X_W), x, share(K, a, x)) == K


def test_an_exit_on_a_ticket_already_spent_by_a_call_is_a_double_spend(
    store: NullifierStore, reply: Callable[..., StoredReply]
) -> None:
    key, a = ticket(2)
    x = 55
    store.reserve(key, x, share(K, a, x), E_ANON, REQ)
    store.complete(key, x, reply())
    outcome = store.record_withdrawal(key, X_W, share(K, a, X_W))
    assert isinstance(outcome, DoubleSpend)
    assert outcome.first_kind is Kind.CALL
    assert outcome.share == (x, share(K, a, x))
    assert recover_secret(x, share(K, a, x), X_W, share(K, a, X_W)) == K
    record = store.get_record(key)  # the call's record (and its reply) stays as it was
    assert record is not None and record.kind is Kind.CALL and record.reply == reply()


def test_an_exit_on_a_call_still_in_progress_is_also_a_double_spend(
    store: NullifierStore,
) -> None:
    key, a = ticket(4)
    store.reserve(key, 66, share(K, a, 66), E_ANON, REQ)
    outcome = store.record_withdrawal(key, X_W, share(K, a, X_W))
    assert isinstance(outcome, DoubleSpend) and outcome.share == (66, share(K, a, 66))


def test_seeing_the_same_exit_twice_is_idempotent(store: NullifierStore) -> None:
    key, a = ticket(5)
    y_w = share(K, a, X_W)
    assert store.record_withdrawal(key, X_W, y_w) == WithdrawalRecorded(already_known=False)
    assert store.record_withdrawal(key, X_W, y_w) == WithdrawalRecorded(already_known=True)
    assert store.stats().withdrawals == 1


def test_a_conflicting_exit_share_on_a_recorded_exit_is_reported(
    store: NullifierStore,
) -> None:
    key, a = ticket(6)
    store.record_withdrawal(key, X_W, share(K, a, X_W))
    outcome = store.record_withdrawal(key, X_W, share(K, a, X_W) ^ 1)
    assert isinstance(outcome, DoubleSpend)
    assert outcome.first_kind is Kind.WITHDRAWAL


def test_a_withdrawal_is_checked_for_canonical_values(store: NullifierStore) -> None:
    from prover.gateway.store import NonCanonicalValue

    with pytest.raises(NonCanonicalValue, match="y_w"):
        store.record_withdrawal(1, X_W, P)
    with pytest.raises(NonCanonicalValue, match="nullifier_t"):
        store.record_withdrawal(P, X_W, 1)


def test_deny_listed_tickets_refuse_calls_and_exits(store: NullifierStore) -> None:
    upcoming = [ticket(n)[0] for n in range(7, 10)]
    assert store.deny(upcoming) == 3
    for key in upcoming:
        outcome = store.reserve(key, 77, 1, E_ANON, REQ)
        assert isinstance(outcome, DoubleSpend)
        assert outcome.first_kind is Kind.DENIED and outcome.share is None
    exit_outcome = store.record_withdrawal(upcoming[0], X_W, 5)
    assert isinstance(exit_outcome, DoubleSpend) and exit_outcome.first_kind is Kind.DENIED
    assert store.stats().denied == 3


def test_deny_keeps_existing_records_and_counts_only_new_entries(
    store: NullifierStore, reply: Callable[..., StoredReply]
) -> None:
    spent, a = ticket(11)
    store.reserve(spent, 3, share(K, a, 3), E_ANON, REQ)
    store.complete(spent, 3, reply())
    fresh = ticket(12)[0]
    assert store.deny([spent, fresh, fresh]) == 1
    assert store.deny([fresh]) == 0
    record = store.get_record(spent)
    assert record is not None and record.kind is Kind.CALL and record.reply == reply()
    assert store.get_reply(spent) == reply()
    assert store.deny([]) == 0


def test_an_unseen_ticket_next_to_denied_ones_is_still_reservable(
    store: NullifierStore,
) -> None:
    store.deny([ticket(13)[0]])
    key, a = ticket(14)
    assert store.reserve(key, 1, share(K, a, 1), E_ANON, REQ) == Reserved()
