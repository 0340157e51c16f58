"""The exit watcher (PROTOCOL §7): every final `WithdrawalRequested` burns its ticket in the
nullifier store; a ticket that was already spent by a call (a stale-state exit) reveals `k`
and queues a slash inside the exit window."""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel, ConfigDict

from prover.chain.mirror import VaultMirror, WithdrawalRecord
from prover.crypto.errors import CryptoError
from prover.crypto.rln import note_id, recover_secret
from prover.gateway.chain.errors import GatewayChainError
from prover.gateway.chain.slasher import Slasher
from prover.gateway.store import DoubleSpend, NullifierStore
from prover.logs import get_logger

log = get_logger("zkcredits.gateway.watcher")

CURSOR: Final[str] = "withdrawals"


class WatchReport(BaseModel):
    """One pass: exits recorded, exits already known, stale exits found (note IDs)."""

    model_config = ConfigDict(frozen=True)

    recorded: int = 0
    already_known: int = 0
    stale_exits: list[int] = []


class WithdrawalWatcher:
    """Reads exits from the mirror after a durable cursor (in the slasher's job file)."""

    def __init__(self, mirror: VaultMirror, store: NullifierStore, slasher: Slasher) -> None:
        self.mirror = mirror
        self.store = store
        self.slasher = slasher

    def process(self) -> WatchReport:
        recorded = known = 0
        stale: list[int] = []
        for w in self.mirror.withdrawals(self.slasher.jobs.cursor(CURSOR)):
            outcome = self.store.record_withdrawal(w.nullifier_t, self.mirror.x_w, w.y_w)
            if isinstance(outcome, DoubleSpend):
                self._stale_exit(w, outcome)
                stale.append(w.note_id)
            elif outcome.already_known:
                known += 1
            else:
                recorded += 1
            self.slasher.jobs.set_cursor(CURSOR, w.seq)
        return WatchReport(recorded=recorded, already_known=known, stale_exits=stale)

    def _stale_exit(self, w: WithdrawalRecord, outcome: DoubleSpend) -> None:
        share = outcome.share
        if share is None:  # a deny-listed ticket: the note's k is already known (job exists)
            log.warning("exit_on_denied_ticket", note_id=w.note_id)
            return
        try:
            k = recover_secret(share[0], share[1], self.mirror.x_w, w.y_w)
        except CryptoError as exc:
            log.error("stale_exit_secret_unrecovered", note_id=w.note_id, error=str(exc))
            return
        if note_id(k) != w.note_id:
            log.error("stale_exit_secret_mismatch", note_id=w.note_id)
            return
        try:
            self.slasher.enqueue_secret(k, reason=f"stale exit (block {w.at.block_number})")
        except GatewayChainError as exc:
            log.error("slash_enqueue_failed", note_id=w.note_id, error=str(exc))
