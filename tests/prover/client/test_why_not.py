"""`why_no_note_can_pay`: one cause per situation, its own code, and what to do (with numbers)."""

from __future__ import annotations

import pytest

from prover.client.errors import (
    CheckpointPendingError,
    CreditExhaustedError,
    NoDepositError,
    NoPayableNoteError,
    NotesExpiredError,
    TicketPendingError,
)
from prover.client.wallet import NoteStatus
from prover.client.why_not import Timing, checkpoint_wait_s, day_date, why_no_note_can_pay

from .notes import NOW, TODAY, make_note, make_service  # type: ignore[import-not-found]

SERVICE = make_service()
SID = SERVICE.service_id
TIMING = Timing(root_epoch=600, exit_grace_days=7, finality_s=144.0, min_deposit=5000)


def _why(notes: list, size: int = 10, now: float = NOW) -> NoPayableNoteError:  # type: ignore[type-arg]
    return why_no_note_can_pay(notes, SID, TODAY, size, now=now, timing=TIMING)


def test_an_empty_wallet_is_told_to_deposit_with_the_minimum() -> None:
    error = _why([])
    assert isinstance(error, NoDepositError)
    assert (error.code, error.status, error.kind) == ("no_deposit", 402, "insufficient_quota")
    assert "zkcredits client deposit" in str(error) and "5000 units" in str(error)


def test_a_note_whose_deposit_was_never_confirmed_counts_as_no_deposit() -> None:
    error = _why([make_note(SERVICE, D=None, status=NoteStatus.CREATED)])
    assert isinstance(error, NoDepositError)
    assert "not confirmed" in str(error)


def test_notes_of_another_service_do_not_count() -> None:
    other = make_service(c_max=500)  # same vault: same service id, so change the id itself
    foreign = make_note(other).model_copy(
        update={"service": other.model_copy(update={"service_id": SID + 1})}
    )
    assert isinstance(_why([foreign]), NoDepositError)


def test_only_halted_or_closed_notes_say_no_active_note() -> None:
    error = _why([make_note(SERVICE, status=NoteStatus.HALTED, n=1, C=10)])
    assert isinstance(error, NoDepositError)
    assert "no active note (halted only)" in str(error)


def test_a_note_below_c_max_is_credit_exhausted_not_no_deposit() -> None:
    # D − C − P − reserve = 10 000 − 7 240 − 0 − 2 000 = 760 < c_max 1 000 (the case)
    error = _why([make_note(SERVICE, C=7_240, n=12)])
    assert isinstance(error, CreditExhaustedError)
    assert (error.code, error.status) == ("credit_exhausted", 402)
    assert "c_max = 1000" in str(error) and "760 units" in str(error)
    assert "client withdraw" in str(error) and "client deposit" in str(error)


def test_an_expired_note_names_the_last_day_to_withdraw() -> None:
    note = make_note(SERVICE, expiry=TODAY - 1)
    error = _why([note])
    assert isinstance(error, NotesExpiredError)
    assert (error.code, error.status) == ("note_expired", 402)
    expired_on = day_date(TODAY - 1).isoformat()
    sweep_from = day_date(TODAY - 1 + 7 + 1).isoformat()  # the day after expiry + grace
    assert f"expired after {expired_on}" in str(error)
    assert f"before {sweep_from}" in str(error)
    assert str(note.id)[:12] in str(error)


def test_an_expired_note_past_its_grace_period_says_it_can_be_swept_now() -> None:
    error = _why([make_note(SERVICE, expiry=TODAY - 8)])
    assert isinstance(error, NotesExpiredError)
    assert "may sweep the whole deposit at any time" in str(error)


def test_a_note_expiring_today_can_still_pay_so_only_a_later_day_expires_it() -> None:
    note = make_note(SERVICE, expiry=TODAY, leaf=10)  # outside the checkpoint of 10 leaves
    assert isinstance(_why([note]), CheckpointPendingError)


def test_a_pending_ticket_says_recover_and_names_the_ticket() -> None:
    note = make_note(SERVICE, n=3, C=30, pending=True)
    error = _why([note])
    assert isinstance(error, TicketPendingError)
    assert (error.code, error.status) == ("ticket_pending", 409)
    assert "ticket 3" in str(error) and "client recover" in str(error)


def test_a_fresh_deposit_outside_the_checkpoint_waits_the_computed_minutes() -> None:
    # now is 01:00:00 UTC: the next 600 s boundary is 01:10:00, plus 144 s to finality = 744 s
    note = make_note(SERVICE, leaf=10)
    error = _why([note], size=10)
    assert isinstance(error, CheckpointPendingError)
    assert (error.code, error.status) == ("checkpoint_pending", 503)
    assert error.retry_after_s == 744
    assert "about 13 minute(s)" in str(error)


def test_the_checkpoint_wait_is_the_next_boundary_plus_finality() -> None:
    timing = Timing(root_epoch=600, finality_s=24.0)
    assert checkpoint_wait_s(1_000_599.0, timing) == 201 + 24  # next boundary: 600·1668
    assert checkpoint_wait_s(600.0 * 1668, timing) == 600 + 24
    assert checkpoint_wait_s(600.0 * 1668 + 0.5, timing) == 600 + 24  # ceil(599.5 + 24)


def test_the_cause_the_user_can_resolve_soonest_wins() -> None:
    waiting = make_note(SERVICE, leaf=10)
    pending = make_note(SERVICE, n=1, C=10, pending=True)
    broke = make_note(SERVICE, C=7_500, n=9)
    expired = make_note(SERVICE, expiry=TODAY - 2)
    assert isinstance(_why([expired, broke, pending, waiting]), CheckpointPendingError)
    assert isinstance(_why([expired, broke, pending]), TicketPendingError)
    mixed = _why([expired, broke])
    assert isinstance(mixed, CreditExhaustedError)
    assert "expired" in str(mixed)  # the expired note's deadline is not lost
    assert isinstance(_why([expired]), NotesExpiredError)


@pytest.mark.parametrize(
    "error_type",
    [NoDepositError, CreditExhaustedError, NotesExpiredError, TicketPendingError,
     CheckpointPendingError],
)  # fmt: skip
def test_every_cause_is_still_a_no_payable_note_error_with_its_own_code(error_type: type) -> None:
    assert issubclass(error_type, NoPayableNoteError)
    codes = {
        NoDepositError.code, CreditExhaustedError.code, NotesExpiredError.code,
        TicketPendingError.code, CheckpointPendingError.code,
    }  # fmt: skip
    assert len(codes) == 5 and error_type.code in codes
