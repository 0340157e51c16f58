"""What the user's notes can still pay for, with dates and warnings (pure: no file, no network).

`balance_report(notes, pins, now)` is what `zkcredits client balance`, the proxy's
`/v1/zkcredits/balance` endpoint and the proxy's log show. Amounts are in the vault's unit.

- `balance` of a note is `D − C − P − reserve` (what calls may still charge).
- `spendable` is what the next calls can really spend: a note counts only while it can pay one
  more call at the worst-case price (active, unexpired, no ticket waiting for its reply, and
  `balance ≥ c_max`: the circuit's solvency rule); `calls_left` is the number of calls that are
  certain to fit, `⌊balance / c_max⌋`.
- A note below one call's price, or halted by a penalty, keeps its credit (`stranded`): only a
  withdrawal returns it.
- Dates are UTC. `expires` is the last day a call may be paid with the note; `withdraw_before` the
  first day an exit can no longer be requested (expiry + `exit_grace_days` + 1): from then on the
  provider may sweep the whole deposit.
- An exiting note whose last call never got a reply was exited with `pending = 1` (PROTOCOL §7):
  the exit charges `c_max` and `penalty_max` more, shown as its pending charge and penalty.

Warnings: a note expiring within `warn_expiry_days` (default 7), an expired note not withdrawn,
a ticket waiting for its reply, credit stranded below `c_max`, and fewer than `warn_low_calls`
(default 10) calls left. Settings: `ZKCREDITS_WARN_EXPIRY_DAYS`, `ZKCREDITS_WARN_LOW_CALLS`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from prover.client.wallet import Note, NoteStatus
from prover.client.why_not import DAY, day_date, short


class WarningSettings(BaseSettings):
    """When `balance` and the proxy warn (`ZKCREDITS_WARN_*`)."""

    model_config = SettingsConfigDict(
        env_prefix="ZKCREDITS_WARN_", extra="ignore", frozen=True, use_attribute_docstrings=True
    )

    expiry_days: int = Field(default=7, ge=0, le=3650)
    """Warn this many days before a note expires."""
    low_calls: int = Field(default=10, ge=0)
    """Warn when fewer calls than this are left."""


class State(StrEnum):
    """A note as the user sees it (the wallet's status, with expiry applied)."""

    CREATED = "created"
    ACTIVE = "active"
    EXPIRED = "expired"
    HALTED = "halted"
    EXITING = "exiting"
    CLOSED = "closed"
    SLASHED = "slashed"


class ExitLine(BaseModel):
    """An exit requested on chain and not finalised yet."""

    model_config = ConfigDict(frozen=True)

    pending_call: bool
    pending_charge: int
    pending_penalty: int
    expected_payout: int


class NoteLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    note: str
    state: State
    D: int
    C: int
    P: int
    tickets: int
    balance: int
    spendable: int
    calls_left: int
    stranded: int
    expiry_day: int | None
    expires: str | None
    days_left: int | None
    withdraw_before: str | None
    pending_ticket: int | None
    exit: ExitLine | None = None


class BalanceWarning(BaseModel):
    """A warning; `message` names the note, the other fields do not (the proxy logs only them)."""

    model_config = ConfigDict(frozen=True)

    code: str
    message: str
    expires: str | None = None
    withdraw_before: str | None = None
    days_left: int | None = None
    units: int | None = None
    calls_left: int | None = None

    def loggable(self) -> dict[str, object]:
        """The fields a log line may carry (no note ID: PROTOCOL §13)."""
        return self.model_dump(exclude={"message"}, exclude_none=True)


class BalanceReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    today: str
    notes: list[NoteLine]
    spendable: int
    calls_left: int
    warnings: list[BalanceWarning]


def _state(note: Note, today: int) -> State:
    if note.status is NoteStatus.ACTIVE and note.deposit and today > note.deposit.expiry:
        return State.EXPIRED
    return State(str(note.status))


def note_line(note: Note, grace_days: int | None, today: int) -> NoteLine:
    d = note.deposit
    state = _state(note, today)
    c_max = note.service.c_max
    balance = note.balance
    # A request in flight may still be charged up to c_max when it is resolved (resent first).
    usable = balance - c_max if note.in_flight is not None else balance
    payable = state is State.ACTIVE and usable >= c_max
    stuck = (state is State.ACTIVE and usable < c_max) or state is State.HALTED
    exit_line = None
    if state is State.EXITING and d is not None:
        extra = note.share_shown  # the exit skipped a shown, unserved ticket: pending = 1
        charge = c_max if extra else 0
        penalty = note.service.penalty_max if extra else 0
        payout = d.D - note.state.C - note.state.P - charge - penalty
        exit_line = ExitLine(
            pending_call=extra,
            pending_charge=charge,
            pending_penalty=penalty,
            expected_payout=max(payout, 0),
        )
    return NoteLine(
        note=str(note.id),
        state=state,
        D=d.D if d else 0,
        C=note.state.C,
        P=note.state.P,
        tickets=note.state.n,
        balance=balance,
        spendable=usable if payable else 0,
        calls_left=usable // c_max if payable else 0,
        stranded=usable if stuck and usable > 0 else 0,
        expiry_day=d.expiry if d else None,
        expires=day_date(d.expiry).isoformat() if d else None,
        days_left=d.expiry - today if d else None,
        withdraw_before=(
            day_date(d.expiry + grace_days + 1).isoformat()
            if d is not None and grace_days is not None
            else None
        ),
        pending_ticket=note.ticket.n if note.ticket is not None and note.in_flight else None,
        exit=exit_line,
    )


def _warnings(lines: Sequence[NoteLine], settings: WarningSettings) -> list[BalanceWarning]:
    out: list[BalanceWarning] = []
    for line in lines:
        name = short(int(line.note))
        deadline = f" before {line.withdraw_before}" if line.withdraw_before else ""
        if line.state is State.EXPIRED:
            out.append(
                BalanceWarning(
                    code="note_expired",
                    message=f"note {name} expired after {line.expires}: withdraw it{deadline}, "
                    f"or the provider may sweep the whole deposit ({line.D} units)",
                    expires=line.expires,
                    withdraw_before=line.withdraw_before,
                    units=line.D,
                )
            )
        elif (
            line.state is State.ACTIVE
            and line.days_left is not None
            and line.days_left <= settings.expiry_days
        ):
            out.append(
                BalanceWarning(
                    code="expires_soon",
                    message=f"note {name} expires after {line.expires} ({line.days_left} day(s) "
                    f"left): spend it or withdraw it{deadline}",
                    expires=line.expires,
                    withdraw_before=line.withdraw_before,
                    days_left=line.days_left,
                )
            )
        if line.pending_ticket is not None and line.state is not State.EXITING:
            out.append(
                BalanceWarning(
                    code="ticket_pending",
                    message=f"note {name}: ticket {line.pending_ticket} waits for its reply; "
                    "`zkcredits client recover` settles it",
                )
            )
        if line.stranded:
            out.append(
                BalanceWarning(
                    code="credit_stranded",
                    message=f"note {name} holds {line.stranded} units it cannot spend on a call "
                    "(below one call's price c_max): withdraw it to get them back",
                    units=line.stranded,
                )
            )
    calls = sum(line.calls_left for line in lines)
    if any(line.D for line in lines) and calls < settings.low_calls:
        out.append(
            BalanceWarning(
                code="low_credit",
                message=f"{calls} call(s) left at the worst-case price: deposit more "
                "(`zkcredits client deposit`)",
                calls_left=calls,
            )
        )
    return out


def balance_report(
    notes: Sequence[Note],
    grace_days: Mapping[int, int],
    now: float,
    settings: WarningSettings | None = None,
) -> BalanceReport:
    """Every note's line, the totals the next calls can spend, and the warnings.

    `grace_days` maps a service id to its pinned `exit_grace_days` (a note of a service not in it
    shows no `withdraw_before`)."""
    today = int(now) // DAY
    lines = [note_line(n, grace_days.get(n.service.service_id), today) for n in notes]
    return BalanceReport(
        today=day_date(today).isoformat(),
        notes=lines,
        spendable=sum(line.spendable for line in lines),
        calls_left=sum(line.calls_left for line in lines),
        warnings=_warnings(lines, settings or WarningSettings()),
    )
