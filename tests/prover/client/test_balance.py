"""`balance_report`: spendable is what the next calls can really spend; dates, exits, warnings."""

from __future__ import annotations

from prover.client.balance import State, WarningSettings, balance_report
from prover.client.wallet import NoteStatus
from prover.client.why_not import day_date

from .notes import NOW, TODAY, make_note, make_service  # type: ignore[import-not-found]

SERVICE = make_service()  # c_max 1000, reserve 2000, penalty_max 2000
GRACE = {SERVICE.service_id: 7}


def _codes(report: object) -> list[str]:
    return [w.code for w in report.warnings]  # type: ignore[attr-defined]


def test_a_note_below_c_max_adds_nothing_to_spendable_and_is_shown_as_stranded() -> None:
    # the case: balance 760 was counted as spendable although no call was possible
    note = make_note(SERVICE, C=7_240, n=12)
    report = balance_report([note], GRACE, NOW)
    [line] = report.notes
    assert line.balance == 760
    assert (line.spendable, line.calls_left, report.spendable) == (0, 0, 0)
    assert line.stranded == 760
    assert "credit_stranded" in _codes(report) and "low_credit" in _codes(report)


def test_spendable_sums_payable_notes_and_calls_left_is_the_worst_case_count() -> None:
    a = make_note(SERVICE, D=20_000, C=500, n=3)  # 20 000 − 500 − 2 000 = 17 500 → 17 calls
    b = make_note(SERVICE, D=5_000)  # 3 000 → 3 calls
    report = balance_report([a, b], GRACE, NOW)
    assert [line.spendable for line in report.notes] == [17_500, 3_000]
    assert report.spendable == 20_500
    assert report.calls_left == 17 + 3
    assert "low_credit" not in _codes(report)


def test_dates_are_calendar_days_with_days_left_and_the_last_day_to_withdraw() -> None:
    note = make_note(SERVICE, expiry=TODAY + 30)
    [line] = balance_report([note], GRACE, NOW).notes
    assert line.expires == day_date(TODAY + 30).isoformat()
    assert line.days_left == 30
    assert line.withdraw_before == day_date(TODAY + 30 + 7 + 1).isoformat()
    assert line.expires is not None and line.expires.count("-") == 2  # ISO, not a day number


def test_an_expired_note_is_shown_as_expired_not_active_and_spends_nothing() -> None:
    note = make_note(SERVICE, expiry=TODAY - 1)
    report = balance_report([note], GRACE, NOW)
    [line] = report.notes
    assert line.state is State.EXPIRED
    assert line.spendable == 0 and line.days_left == -1
    [warning] = [w for w in report.warnings if w.code == "note_expired"]
    assert f"before {line.withdraw_before}" in warning.message
    assert "sweep the whole deposit" in warning.message


def test_a_note_expiring_within_the_warning_window_is_warned_about() -> None:
    soon = make_note(SERVICE, expiry=TODAY + 3)
    later = make_note(SERVICE, expiry=TODAY + 20)
    report = balance_report([soon, later], GRACE, NOW, WarningSettings(expiry_days=7))
    expiring = [w for w in report.warnings if w.code == "expires_soon"]
    assert len(expiring) == 1 and "3 day(s) left" in expiring[0].message
    assert str(soon.id)[:12] in expiring[0].message


def test_an_exiting_note_with_an_unanswered_call_shows_its_pending_charge_and_penalty() -> None:
    note = make_note(SERVICE, D=10_000, C=1_200, P=0, n=4, status=NoteStatus.EXITING, pending=True)
    [line] = balance_report([note], GRACE, NOW).notes
    assert line.state is State.EXITING and line.exit is not None
    assert line.exit.pending_call is True
    assert (line.exit.pending_charge, line.exit.pending_penalty) == (1_000, 2_000)
    assert line.exit.expected_payout == 10_000 - 1_200 - 1_000 - 2_000
    assert line.spendable == 0


def test_an_exiting_note_without_a_pending_call_pays_out_everything_not_charged() -> None:
    note = make_note(SERVICE, D=10_000, C=1_200, P=2_000, n=4, status=NoteStatus.EXITING)
    [line] = balance_report([note], GRACE, NOW).notes
    assert line.exit is not None and line.exit.pending_call is False
    assert line.exit.expected_payout == 10_000 - 1_200 - 2_000


def test_a_request_in_flight_is_listed_and_its_worst_case_charge_is_held_back() -> None:
    note = make_note(SERVICE, D=20_000, n=2, C=40, pending=True)
    report = balance_report([note], GRACE, NOW)
    [line] = report.notes
    # v3: the ticket is resent or released, never stuck; until then it may still cost c_max
    assert line.pending_ticket == 2
    assert line.spendable == 20_000 - 40 - SERVICE.reserve - SERVICE.c_max
    assert line.stranded == 0  # waiting for its reply, not stuck below c_max
    assert "ticket_pending" in _codes(report) and "credit_stranded" not in _codes(report)


def test_a_halted_note_keeps_its_whole_balance_stranded_until_withdrawn() -> None:
    note = make_note(SERVICE, D=20_000, n=2, C=40, P=2_000, status=NoteStatus.HALTED)
    [line] = balance_report([note], GRACE, NOW).notes
    assert line.spendable == 0 and line.stranded == 20_000 - 40 - 2_000 - 2_000


def test_low_credit_warns_below_the_configured_number_of_calls() -> None:
    note = make_note(SERVICE, D=7_000)  # 5 000 → 5 calls
    assert "low_credit" in _codes(balance_report([note], GRACE, NOW, WarningSettings(low_calls=6)))
    assert "low_credit" not in _codes(
        balance_report([note], GRACE, NOW, WarningSettings(low_calls=5))
    )


def test_an_empty_wallet_has_no_warnings_and_nothing_to_spend() -> None:
    report = balance_report([], GRACE, NOW)
    assert (report.spendable, report.calls_left, report.warnings) == (0, 0, [])
    assert report.today == day_date(TODAY).isoformat()


def test_a_note_of_an_unpinned_service_shows_no_withdrawal_deadline() -> None:
    [line] = balance_report([make_note(SERVICE)], {}, NOW).notes
    assert line.withdraw_before is None and line.expires is not None
