"""Why no note can pay a call now: one cause, its own error code, and what to do about it.

`why_no_note_can_pay` is pure (no file, no network): it reads the wallet's notes, the size of the
checkpoint the next proof would use, the clock and the pinned provider, and returns the error to
raise. A note can pay when it is active, unexpired (`today ≤ expiry`), solvent for one more call
(`C + c_max + P + reserve ≤ D`), has no ticket waiting for its reply, and its deposit is inside the
checkpoint. When none can, the cause reported is the one the user can resolve soonest:

1. `checkpoint_pending` (503, `Retry-After`): a funded note only waits for the next final
   checkpoint: wait about N minutes (the next `root_epoch` boundary plus finality).
2. `ticket_pending` (409): a note's last call still waits for its reply: `client recover`, or
   restart `client serve` (it retries the call).
3. `credit_exhausted` (402): live notes are below one call's worst-case price (`c_max`): deposit
   a new note, withdraw what is left.
4. `note_expired` (402): the notes are past their expiry day: withdraw before expiry +
   `exit_grace_days` + 1 (from then on the provider may sweep the deposit).
5. `no_deposit` (402): no deposited, active note at all: `client deposit`.

Each error derives from `NoPayableNoteError`, so code that catches that keeps working.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Final

from prover.client.errors import (
    CheckpointPendingError,
    CreditExhaustedError,
    NoDepositError,
    NotesExpiredError,
    TicketPendingError,
    WhyNotError,
)
from prover.client.wallet import Note, NoteStatus

if TYPE_CHECKING:
    from prover.client.profile import ProviderPin

DAY: Final = 86_400
DEFAULT_BLOCK_TIME_S: Final = 12.0
"""Seconds per block used to turn confirmations into minutes (Ethereum L1)."""
FINALIZED_DEPTH: Final = 64
"""Blocks a `finalized` block trails the head on Ethereum L1 (two epochs of 32 slots)."""


@dataclass(frozen=True)
class Timing:
    """What the diagnosis needs of the pinned provider and the chain (None: unknown)."""

    root_epoch: int | None = None
    exit_grace_days: int | None = None
    finality_s: float = 0.0
    min_deposit: int | None = None

    @classmethod
    def of(
        cls,
        pin: ProviderPin,
        confirmations: int | None,
        block_time_s: float = DEFAULT_BLOCK_TIME_S,
    ) -> Timing:
        """The pin's values; finality as `confirmations` blocks of `block_time_s` (None: the
        node's `finalized` block, `FINALIZED_DEPTH` blocks behind on Ethereum L1)."""
        depth = FINALIZED_DEPTH if confirmations is None else confirmations
        return cls(
            root_epoch=pin.root_epoch,
            exit_grace_days=pin.exit_grace_days,
            finality_s=depth * block_time_s,
            min_deposit=pin.min_deposit,
        )


def day_date(day: int) -> date:
    """The calendar date (UTC) of a day number `unix_time // 86400`."""
    return date(1970, 1, 1) + timedelta(days=day)


def short(note_id: int) -> str:
    """How messages name a note: its first 12 digits."""
    return str(note_id)[:12] + "…"


def checkpoint_wait_s(now: float, timing: Timing) -> int:
    """An upper bound on the wait until a deposit made before `now` is in an accepted checkpoint:
    the next `root_epoch` boundary, plus the time for that block to become final."""
    if timing.root_epoch is None or timing.root_epoch <= 0:
        return math.ceil(timing.finality_s)
    boundary = (int(now) // timing.root_epoch + 1) * timing.root_epoch
    return math.ceil(boundary - now + timing.finality_s)


def _live(note: Note, service_id: int) -> bool:
    return (
        note.service.service_id == service_id
        and note.status is NoteStatus.ACTIVE
        and note.deposit is not None
    )


def why_no_note_can_pay(
    notes: Sequence[Note],
    service_id: int,
    today: int,
    checkpoint_size: int,
    *,
    now: float,
    timing: Timing | None = None,
) -> WhyNotError:
    """The error that says why none of `notes` can pay a call for `service_id` now."""
    timing = timing or Timing()
    live = [n for n in notes if _live(n, service_id)]
    if not live:
        return _no_deposit(notes, service_id, timing)
    unexpired = [n for n in live if n.deposit is not None and today <= n.deposit.expiry]
    solvent = [n for n in unexpired if n.can_pay]
    waiting = [
        n
        for n in solvent
        if n.in_flight is None and n.deposit is not None and n.deposit.leaf_index >= checkpoint_size
    ]
    if waiting:
        wait = max(1, checkpoint_wait_s(now, timing))
        minutes = max(1, math.ceil(wait / 60))
        return CheckpointPendingError(
            f"{len(waiting)} funded note(s) wait for the next final checkpoint of the vault: "
            f"a new deposit can pay once a checkpoint holding it is final, in about {minutes} "
            "minute(s) at most; retry then",
            retry_after_s=wait,
        )
    pending = [n for n in solvent if n.in_flight is not None]
    if pending:
        first = pending[0]
        ticket = first.ticket.n if first.ticket is not None else first.state.n
        return TicketPendingError(
            f"the last call of note {short(first.id)} (ticket {ticket}) is still waiting for "
            f"its reply ({len(pending)} note(s) in this state): run `zkcredits client recover`, "
            "or restart `zkcredits client serve`, which retries it; the note pays again once "
            "it is settled",
            field="pending",
        )
    expired = [n for n in live if n not in unexpired]
    if unexpired:
        c_max, reserve = unexpired[0].service.c_max, unexpired[0].service.reserve
        best = max(n.balance for n in unexpired)
        deposit_hint = f" of at least {timing.min_deposit} units" if timing.min_deposit else ""
        return CreditExhaustedError(
            f"no credit left for a call: one call may cost up to c_max = {c_max} units and "
            f"{reserve} units stay reserved, but the best note has {max(best, 0)} units above "
            f"the reserve: deposit a new note{deposit_hint} (`zkcredits client deposit`), and "
            "withdraw what is left of the old ones (`zkcredits client withdraw`)"
            + (f"; {_expired(expired, today, timing)}" if expired else ""),
            field="balance",
        )
    return _expired(live, today, timing)


def _no_deposit(notes: Sequence[Note], service_id: int, timing: Timing) -> NoDepositError:
    mine = [n for n in notes if n.service.service_id == service_id]
    others = {str(n.status) for n in mine if n.status is not NoteStatus.ACTIVE}
    hint = f" of at least {timing.min_deposit} units" if timing.min_deposit else ""
    if not mine:
        head = "no deposit yet for this provider"
    elif others == {str(NoteStatus.CREATED)}:
        head = "no deposit recorded yet (a note was created but its deposit was not confirmed)"
    else:
        head = f"no active note ({', '.join(sorted(others))} only)"
    return NoDepositError(
        f"{head}: deposit a note{hint} with `zkcredits client deposit --amount N`",
        field="deposit",
    )


def _expired(live: Sequence[Note], today: int, timing: Timing) -> NotesExpiredError:
    first = min(live, key=lambda n: n.deposit.expiry if n.deposit else 0)
    assert first.deposit is not None
    expiry = first.deposit.expiry
    if timing.exit_grace_days is None:
        deadline = "before the exit grace period ends"
    else:
        last = expiry + timing.exit_grace_days
        if today > last:
            deadline = (
                f"now: its exit grace period ended on {day_date(last).isoformat()} and the "
                "provider may sweep the whole deposit at any time"
            )
        else:
            deadline = (
                f"before {day_date(last + 1).isoformat()} (after that the provider may sweep "
                "the whole deposit)"
            )
    return NotesExpiredError(
        f"note {short(first.id)} expired after {day_date(expiry).isoformat()} "
        f"({len(live)} expired note(s)): withdraw it {deadline} with "
        f"`zkcredits client withdraw --note {str(first.id)[:12]}`, and deposit a new note "
        "to keep calling",
        field="expiry",
    )
