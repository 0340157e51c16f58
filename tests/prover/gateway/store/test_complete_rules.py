"""`complete` (PROTOCOL §6 step 5): in progress -> served, idempotent, typed refusals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from prover.crypto.field import P
from prover.gateway.store import (
    CompleteRefused,
    NonCanonicalValue,
    NotACall,
    NullifierStore,
    ReplyConflict,
    RequestMismatch,
    Status,
    StoredReply,
    StoreError,
    UnknownNullifier,
)

REQ = 0xD16E57  # the request digest h (D5) the calls here are reserved for

E_ANON = (5, 6)


def test_completing_a_reserved_call_serves_it_with_the_reply(
    store: NullifierStore, clock: Any, reply: Callable[..., StoredReply]
) -> None:
    store.reserve(7, 70, 700, E_ANON, REQ)
    clock.advance(timedelta(seconds=3))
    record = store.complete(7, 70, reply(cost=4, seed=1))
    assert record.status is Status.SERVED
    assert record.reply == reply(cost=4, seed=1)
    assert record.served_at == clock()
    assert record.served_at - record.created_at == timedelta(seconds=3)
    assert store.get_record(7) == record
    assert store.get_reply(7) == reply(cost=4, seed=1)


def test_completing_twice_with_the_same_reply_is_a_no_op(
    store: NullifierStore, clock: Any, reply: Callable[..., StoredReply]
) -> None:
    store.reserve(7, 70, 700, E_ANON, REQ)
    first = store.complete(7, 70, reply(seed=2))
    clock.advance(timedelta(minutes=5))
    again = store.complete(7, 70, reply(seed=2))
    assert again == first  # served_at is not moved by the repeat
    assert store.get_record(7) == first


def test_a_served_ticket_refuses_a_different_reply(
    store: NullifierStore, reply: Callable[..., StoredReply]
) -> None:
    store.reserve(7, 70, 700, E_ANON, REQ)
    store.complete(7, 70, reply(seed=2))
    with pytest.raises(ReplyConflict, match="7"):
        store.complete(7, 70, reply(seed=3))
    with pytest.raises(ReplyConflict):
        store.complete(7, 70, reply(cost=4, seed=2))
    assert store.get_reply(7) == reply(seed=2)


def test_completing_with_another_x_is_refused_and_changes_nothing(
    store: NullifierStore, reply: Callable[..., StoredReply]
) -> None:
    store.reserve(7, 70, 700, E_ANON, REQ)
    with pytest.raises(RequestMismatch, match="x=71"):
        store.complete(7, 71, reply())
    record = store.get_record(7)
    assert record is not None and record.status is Status.IN_PROGRESS


def test_completing_an_unknown_nullifier_is_refused(
    store: NullifierStore, reply: Callable[..., StoredReply]
) -> None:
    with pytest.raises(UnknownNullifier, match="8"):
        store.complete(8, 70, reply())
    assert store.get_record(8) is None


def test_withdrawal_and_deny_list_records_cannot_be_completed(
    store: NullifierStore, reply: Callable[..., StoredReply]
) -> None:
    store.record_withdrawal(9, 90, 900)
    store.deny([10])
    with pytest.raises(NotACall, match="withdrawal"):
        store.complete(9, 90, reply())
    with pytest.raises(NotACall, match="denied"):
        store.complete(10, 90, reply())


def test_complete_rejects_non_canonical_keys(
    store: NullifierStore, reply: Callable[..., StoredReply]
) -> None:
    with pytest.raises(NonCanonicalValue):
        store.complete(P, 1, reply())
    with pytest.raises(NonCanonicalValue):
        store.complete(1, P, reply())


def test_every_refusal_is_a_store_error() -> None:
    refusals: list[type[Exception]] = [ReplyConflict, RequestMismatch, NotACall]
    assert all(issubclass(error, CompleteRefused) for error in refusals)
    others: list[type[Exception]] = [CompleteRefused, UnknownNullifier, NonCanonicalValue]
    assert all(issubclass(error, StoreError) for error in others)


def _valid() -> dict[str, Any]:
    return {
        "cost": "5",
        "p": "0",
        "evidence_hash": "0",
        "E_new": ["1", "2"],
        "sigma_new": {"R8": ["3", "4"], "S": "5"},
    }


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        (("cost",), "05"),
        (("cost",), str(2**64)),
        (("cost",), 5),
        (("p",), "-1"),
        (("evidence_hash",), str(2**256)),
        (("evidence_hash",), "0x00"),
        (("E_new",), [str(P), "2"]),
        (("sigma_new", "S"), " 5"),
        (("sigma_new", "R8"), ["1"]),
    ],
)
def test_a_malformed_reply_is_rejected(path: tuple[str, ...], bad: object) -> None:
    data = _valid()
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = bad
    with pytest.raises(ValidationError):
        StoredReply.model_validate(data)


def test_a_reply_with_an_unknown_field_is_rejected() -> None:
    with pytest.raises(ValidationError):
        StoredReply.model_validate({**_valid(), "extra": "1"})


def test_equal_replies_have_equal_canonical_json() -> None:
    one = StoredReply.model_validate(_valid())
    two = StoredReply.model_validate_json(one.canonical_json())
    assert two == one and two.canonical_json() == one.canonical_json()


def test_the_evidence_hash_converts_to_the_32_bytes_of_the_wire_form() -> None:
    digest = bytes(range(1, 33))
    stored = StoredReply.model_validate(
        {**_valid(), "evidence_hash": str(int.from_bytes(digest, "big"))}
    )
    assert stored.evidence_hash_bytes == digest
    assert StoredReply.model_validate(_valid()).evidence_hash_bytes == bytes(32)
