"""Every outcome of `reserve` (PROTOCOL §6 step 3), on both backends, with real RLN shares."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from prover.crypto.field import P
from prover.crypto.rln import note_id, nullifier, recover_secret, share, slope
from prover.gateway.store import (
    DoubleSpend,
    EAnonMismatch,
    InProgress,
    Kind,
    NonCanonicalValue,
    NullifierStore,
    Reserved,
    Retry,
    Status,
    StoredReply,
    TicketReserved,
)

REQ = 0xD16E57  # the request digest h (D5) the calls here are reserved for

K = 0x1234_5678_9ABC_DEF0_1122_3344_5566_7788_99AA_BBCC_DDEE_FF00_1357_9BDF_2468_ACE0 % P
SERVICE = 987654321
E_ANON = (11, 22)


def ticket(n: int) -> tuple[int, int]:
    """(nullifier, slope a) of ticket n of the note with secret K."""
    a = slope(K, n, SERVICE)
    return nullifier(a), a


def test_an_unseen_nullifier_is_reserved_and_recorded_in_progress(
    store: NullifierStore, clock: Callable[[], object]
) -> None:
    key, a = ticket(0)
    x = 777
    assert store.reserve(key, x, share(K, a, x), E_ANON, REQ) == Reserved()
    record = store.get_record(key)
    assert record is not None
    assert (record.kind, record.status) == (Kind.CALL, Status.IN_PROGRESS)
    assert (record.x, record.y, record.E_anon) == (x, share(K, a, x), E_ANON)
    assert record.request_digest == REQ
    assert record.reply is None and record.served_at is None
    assert record.created_at == clock()


def test_the_same_x_before_the_reply_is_in_progress(store: NullifierStore) -> None:
    key, a = ticket(1)
    assert store.reserve(key, 5, share(K, a, 5), E_ANON, REQ) == Reserved()
    assert isinstance(store.reserve(key, 5, share(K, a, 5), E_ANON, REQ), InProgress)
    assert isinstance(store.reserve(key, 5, share(K, a, 5), E_ANON, REQ), InProgress)


def test_a_retry_after_the_reply_returns_the_stored_reply(
    store: NullifierStore, reply: Callable[..., StoredReply]
) -> None:
    key, a = ticket(2)
    stored = reply(cost=9, seed=4)
    store.reserve(key, 5, share(K, a, 5), E_ANON, REQ)
    store.complete(key, 5, stored)
    outcome = store.reserve(key, 5, share(K, a, 5), E_ANON, REQ)
    assert outcome == Retry(reply=stored)
    assert store.get_reply(key) == stored


def test_a_different_x_is_a_double_spend_whose_shares_reveal_the_secret(
    store: NullifierStore,
) -> None:
    key, a = ticket(3)
    x1, x2 = 1111, 2222
    y1, y2 = share(K, a, x1), share(K, a, x2)
    store.reserve(key, x1, y1, E_ANON, REQ)
    outcome = store.reserve(key, x2, y2, (33, 44), REQ)
    assert isinstance(outcome, DoubleSpend)
    assert outcome.first_kind is Kind.CALL
    assert outcome.share == (x1, y1)
    recovered = recover_secret(x1, y1, x2, y2)
    assert recovered == K
    assert note_id(recovered) == note_id(K)


def test_a_double_spend_after_the_reply_still_reports_the_first_share(
    store: NullifierStore, reply: Callable[..., StoredReply]
) -> None:
    key, a = ticket(4)
    store.reserve(key, 10, share(K, a, 10), E_ANON, REQ)
    store.complete(key, 10, reply())
    outcome = store.reserve(key, 20, share(K, a, 20), E_ANON, REQ)
    assert isinstance(outcome, DoubleSpend)
    assert outcome.share == (10, share(K, a, 10))


def test_a_double_spend_attempt_leaves_the_first_record_untouched(
    store: NullifierStore,
) -> None:
    key, a = ticket(5)
    store.reserve(key, 10, share(K, a, 10), E_ANON, REQ)
    before = store.get_record(key)
    store.reserve(key, 20, share(K, a, 20), (1, 2), REQ)
    assert store.get_record(key) == before
    assert isinstance(store.reserve(key, 10, share(K, a, 10), E_ANON, REQ), InProgress)


def test_the_same_key_with_another_request_is_ticket_reserved_and_changes_nothing(
    store: NullifierStore, reply: Callable[..., StoredReply]
) -> None:
    key, a = ticket(6)
    y = share(K, a, 5)
    assert store.reserve(key, 5, y, E_ANON, REQ) == Reserved()
    before = store.get_record(key)
    assert store.reserve(key, 5, y, E_ANON, REQ + 1) == TicketReserved(reply=None)
    assert store.get_record(key) == before
    store.complete(key, 5, reply(seed=6))
    # served: the refusal hands back the reserved request's signed state (nothing new served)
    assert store.reserve(key, 5, y, (9, 9), REQ + 2) == TicketReserved(reply=reply(seed=6))
    assert store.reserve(key, 5, y, E_ANON, REQ) == Retry(reply=reply(seed=6))
    record = store.get_record(key)
    assert record is not None and record.request_digest == REQ


def test_a_retry_with_another_e_anon_is_refused_and_the_reserved_point_stays(
    store: NullifierStore, reply: Callable[..., StoredReply]
) -> None:
    key, a = ticket(7)
    y = share(K, a, 5)
    assert store.reserve(key, 5, y, E_ANON, REQ) == Reserved()
    assert store.reserve(key, 5, y, (33, 44), REQ) == EAnonMismatch()
    store.complete(key, 5, reply())
    assert store.reserve(key, 5, y, (33, 44), REQ) == EAnonMismatch()
    record = store.get_record(key)
    assert record is not None and record.E_anon == E_ANON


def test_in_progress_reports_when_the_ticket_was_reserved(
    store: NullifierStore, clock: Callable[[], object]
) -> None:
    key, a = ticket(8)
    store.reserve(key, 5, share(K, a, 5), E_ANON, REQ)
    outcome = store.reserve(key, 5, share(K, a, 5), E_ANON, REQ)
    assert outcome == InProgress(created_at=clock())  # type: ignore[arg-type]


def test_a_non_canonical_request_digest_is_refused(store: NullifierStore) -> None:
    for bad in (P, -1, True):
        with pytest.raises(NonCanonicalValue) as raised:
            store.reserve(5, 1, 1, E_ANON, bad)  # type: ignore[arg-type]
        assert raised.value.field == "request_digest"
    assert store.stats().total == 0


def test_distinct_tickets_of_one_note_are_independent(store: NullifierStore) -> None:
    for n in range(3):
        key, a = ticket(10 + n)
        assert store.reserve(key, 5, share(K, a, 5), E_ANON, REQ) == Reserved()
    assert store.stats().calls_in_progress == 3


@pytest.mark.parametrize(
    ("nullifier_value", "x", "y", "e_anon", "field"),
    [
        (P, 1, 1, (1, 1), "nullifier"),
        (-1, 1, 1, (1, 1), "nullifier"),
        (P + 5, 1, 1, (1, 1), "nullifier"),
        (True, 1, 1, (1, 1), "nullifier"),
        ("5", 1, 1, (1, 1), "nullifier"),
        (5, P, 1, (1, 1), "x"),
        (5, 1, P + 1, (1, 1), "y"),
        (5, 1, 1, (P, 1), "E_anon.x"),
        (5, 1, 1, (1, -3), "E_anon.y"),
        (5, 1, 1, (1, 2, 3), "E_anon"),
    ],
)
def test_non_canonical_values_are_rejected_and_nothing_is_stored(
    store: NullifierStore,
    nullifier_value: object,
    x: int,
    y: int,
    e_anon: tuple[int, int],
    field: str,
) -> None:
    with pytest.raises(NonCanonicalValue) as raised:
        store.reserve(nullifier_value, x, y, e_anon, REQ)  # type: ignore[arg-type]
    assert raised.value.field == field
    assert field in str(raised.value)
    assert store.stats().total == 0


def test_lookups_reject_non_canonical_keys(store: NullifierStore) -> None:
    with pytest.raises(NonCanonicalValue):
        store.get_reply(P)
    with pytest.raises(NonCanonicalValue):
        store.get_record(-1)
    with pytest.raises(NonCanonicalValue):
        store.deny([3, P])
    assert store.stats().total == 0


def test_the_largest_canonical_values_round_trip(store: NullifierStore) -> None:
    top = P - 1
    assert store.reserve(top, top, top, (top, 0), REQ) == Reserved()
    record = store.get_record(top)
    assert record is not None
    assert (record.nullifier, record.x, record.y, record.E_anon) == (top, top, top, (top, 0))
    assert store.reserve(0, 0, 0, (0, 0), REQ) == Reserved()
    assert isinstance(store.reserve(top, top, top, (top, 0), REQ), InProgress)


def test_get_reply_is_none_for_unknown_unserved_and_non_call_records(
    store: NullifierStore,
) -> None:
    assert store.get_reply(42) is None
    store.reserve(42, 1, 2, E_ANON, REQ)
    assert store.get_reply(42) is None
    store.record_withdrawal(43, 9, 9)
    store.deny([44])
    assert store.get_reply(43) is None
    assert store.get_reply(44) is None
