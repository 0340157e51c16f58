"""What the proxy tells about money: the balance report, a call's cost, new warnings, and why no
note can pay when the chain view has no checkpoint at all. Reads the wallet only; writes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from prover.client.balance import BalanceReport, BalanceWarning, WarningSettings, balance_report
from prover.client.errors import WhyNotError
from prover.client.payer.models import utc_day
from prover.client.profile import ProviderPin
from prover.client.wallet import Wallet
from prover.client.why_not import Timing, why_no_note_can_pay


@dataclass
class ProxyLedger:
    """The wallet's money as the proxy shows it, for the one provider it pays."""

    wallet: Wallet
    pin: ProviderPin
    timing: Timing = field(default_factory=Timing)
    clock: Callable[[], float] = time.time
    warn: WarningSettings = field(default_factory=WarningSettings)
    _warned: set[str] = field(default_factory=set)

    def report(self) -> BalanceReport:
        sid = self.pin.service.service_id
        notes = [n for n in self.wallet.notes() if n.service.service_id == sid]
        return balance_report(notes, {sid: self.pin.exit_grace_days}, self.clock(), self.warn)

    def last_charge(self, note_id: int) -> tuple[int, int] | None:
        """(cost, penalty) of the note's last completed call, from its stored signed reply."""
        reply = self.wallet.note(note_id).last_reply
        return None if reply is None else (reply.cost, reply.p)

    def fresh_warnings(self, report: BalanceReport) -> list[BalanceWarning]:
        """Warnings not shown before (so the log says each once, and again after it cleared)."""
        current = {w.message: w for w in report.warnings}
        fresh = [w for m, w in current.items() if m not in self._warned]
        self._warned = set(current)
        return fresh

    def no_checkpoint(self) -> WhyNotError:
        """Why no note can pay when the chain view has no accepted checkpoint yet."""
        now = self.clock()
        return why_no_note_can_pay(
            self.wallet.notes(),
            self.pin.service.service_id,
            utc_day(now),
            0,
            now=now,
            timing=self.timing,
        )
