"""`ChainSync`: the gateway's background loop — sync the mirror, watch exits, run slash jobs.

Every replica syncs its own mirror (its chain view); only the holder of the slasher lease
(`LeaseKeeper`; always this process with SQLite) watches exits and runs slash jobs. After each
sync the chain's head is read once, so `/healthz` reports the finality lag without an RPC call.
"""

from __future__ import annotations

import threading
import time

from prover.chain.mirror import VaultMirror
from prover.gateway.chain.lease import LeaseKeeper, LocalLease
from prover.gateway.chain.slasher import Slasher
from prover.gateway.chain.watcher import WithdrawalWatcher
from prover.logs import get_logger

log = get_logger("zkcredits.gateway.chain")


class ChainSync:
    """`start()` runs `step()` every `poll_interval` seconds (sooner when a slash is queued)."""

    def __init__(
        self,
        mirror: VaultMirror,
        watcher: WithdrawalWatcher,
        slasher: Slasher,
        *,
        poll_interval: float = 2.0,
        lease: LeaseKeeper | None = None,
    ) -> None:
        self.mirror = mirror
        self.watcher = watcher
        self.slasher = slasher
        self.poll_interval = poll_interval
        self.lease = lease or LeaseKeeper(LocalLease(), ttl=3600.0)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.steps = 0
        self.last_error: BaseException | None = None
        self.head_block: int | None = None
        """The chain's latest block number, read after the last successful sync."""
        self.head_read_at: float | None = None

    def step(self) -> None:
        """One round; an error is logged and kept (`last_error`), the loop goes on."""
        try:
            self.mirror.sync()
            self.head_block = int(self.mirror.w3.eth.block_number)
            self.head_read_at = time.monotonic()
            if self.lease.held():
                self.watcher.process()
                self.slasher.process_pending()
            self.last_error = None
        except Exception as exc:  # keep the loop alive; is_synced() turns false on sync errors
            self.last_error = exc
            log.exception("chain_sync_step_failed")
        self.steps += 1

    def _run(self) -> None:
        while not self._stop.is_set():
            self.step()
            self.slasher.wakeup.wait(self.poll_interval)

    def start(self) -> None:
        if self._thread is not None:
            return
        self.lease.start()
        self._thread = threading.Thread(target=self._run, name="zkcredits-chain-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self.slasher.wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.lease.stop()
