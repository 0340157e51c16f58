"""`VaultMirror`: a persisted, incremental, finality-bounded mirror of one vault's events.

It ingests only blocks up to the finality point (`Finality`), so a reorg of non-final blocks
never reaches it; a reorg below an ingested block (the stored hash no longer matches) stops it
with `MirrorReorgError`. Each chunk of blocks is checked against the mirror's own LeanIMT (index,
leaf recomputed from `(ID, D, expiry)`, root after every deposit, the root of every
`RootCheckpointed`) before it is written, in one SQLite transaction with the new progress mark.
Checkpoint acceptance follows §11 (see `checkpoints.py`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

from web3 import Web3

from prover.chain.mirror.checkpoints import CheckpointIndex
from prover.chain.mirror.db import SCHEMA_VERSION, MirrorDb
from prover.chain.mirror.errors import (
    MirrorError,
    MirrorInconsistentError,
    MirrorMismatchError,
    MirrorReorgError,
)
from prover.chain.mirror.events import vault_contract
from prover.chain.mirror.finality import BlockRef, Finality, block_ref, finality_point
from prover.chain.mirror.models import (
    Checkpoint,
    CheckpointEvent,
    DepositRecord,
    SyncReport,
    WithdrawalRecord,
)
from prover.chain.mirror.ranges import read_range, tally
from prover.chain.mirror.state import MirrorState
from prover.chain.vault import CreditVaultClient, NoteStatus
from prover.crypto import rln
from prover.crypto.leanimt import LeanIMT, MerkleProof, verify_proof

DEFAULT_CHUNK_BLOCKS: Final[int] = 2_000


class VaultMirror:
    """Open with `VaultMirror(w3, vault, path, finality=...)`; call `sync()` to catch up."""

    def __init__(
        self,
        w3: Web3,
        vault: str,
        path: Path,
        *,
        finality: Finality | None = None,
        start_block: int = 0,
        chunk_blocks: int = DEFAULT_CHUNK_BLOCKS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if chunk_blocks < 1:
            raise MirrorError("chunk_blocks must be at least 1", field="chunk_blocks")
        self.w3 = w3
        self.vault = Web3.to_checksum_address(vault)
        self.finality = finality or Finality()
        self.chunk_blocks = chunk_blocks
        self._clock = clock
        self._contract = vault_contract(w3, self.vault)
        client = CreditVaultClient(w3, self.vault)
        self.chain_id = int(w3.eth.chain_id)
        self.service_id = client.service_id()
        if self.service_id != rln.service_id(self.chain_id, self.vault):
            raise MirrorMismatchError(
                f"vault {self.vault} reports service_id {self.service_id}, not the §2 value",
                field="service_id",
            )
        params = client.params()
        self.root_epoch, self.root_ttl, self.max_depth = (
            params.root_epoch,
            params.root_ttl,
            params.max_depth,
        )
        self.x_w = rln.withdrawal_point(self.service_id)
        self.db = MirrorDb(path)
        identity = {
            "schema_version": str(SCHEMA_VERSION),
            "chain_id": str(self.chain_id),
            "genesis_hash": block_ref(w3, 0).hash,
            "vault": self.vault,
            "service_id": str(self.service_id),
        }
        self.db.bind_identity(
            identity,
            {
                "root_epoch": str(self.root_epoch),
                "root_ttl": str(self.root_ttl),
                "max_depth": str(self.max_depth),
                "start_block": str(start_block),
            },
        )
        self.start_block = start_block
        self._sync_lock = threading.Lock()
        self._synced_at: float | None = None
        self._broken: MirrorError | None = None
        self._load()
        self._check_progress_on_chain()

    def _check_progress_on_chain(self) -> None:
        """The block the file ends at must be on this chain (same number, same hash): a file
        written against another chain with the same genesis (two Anvils) is refused here."""
        progress = self._progress
        if progress is None:
            return
        try:
            current: BlockRef | None = block_ref(self.w3, progress.number)
        except MirrorError:
            current = None
        if current is None or current.hash != progress.hash:
            self.db.close()
            raise MirrorMismatchError(
                f"mirror file {self.db.path} ends at block {progress.number} {progress.hash}, "
                f"which this chain does not have: another chain, or a reorg below the finality "
                "point; delete the file to resync",
                field="last_hash",
            )

    # ------------------------------------------------------------------ state

    def _load(self) -> None:
        self._state = MirrorState.load(self.db, self.max_depth, self.root_epoch)
        self._progress = self.db.progress()
        self._prefix_cache: LeanIMT | None = None
        self._refresh_index()

    def _refresh_index(self) -> None:
        final_ts = self._progress.timestamp if self._progress is not None else 0
        self._index = CheckpointIndex(
            roots=tuple(d.root for d in self._state.deposits),
            times=tuple(d.timestamp for d in self._state.deposits),
            final_timestamp=final_ts,
            root_epoch=self.root_epoch,
            root_ttl=self.root_ttl,
        )

    # ------------------------------------------------------------------ sync

    def sync(self) -> SyncReport:
        """Ingest every final block after the stored one; returns what was ingested."""
        with self._sync_lock:
            if self._broken is not None:
                raise self._broken
            try:
                return self._sync()
            except (MirrorReorgError, MirrorInconsistentError) as exc:
                self._broken = exc
                self._synced_at = None
                raise
            except BaseException:
                self._synced_at = None
                raise

    def _sync(self) -> SyncReport:
        point = finality_point(self.w3, self.finality)
        progress = self._progress
        if progress is not None:
            current = block_ref(self.w3, progress.number)
            if current.hash != progress.hash:
                raise MirrorReorgError(
                    f"block {progress.number} is now {current.hash}, the mirror ingested "
                    f"{progress.hash}: a reorg below the finality point "
                    f"({self.finality.describe()})",
                    field="last_hash",
                )
        start = progress.number + 1 if progress is not None else self.start_block
        end = -1 if point is None else point.number
        counts = {"deposits": 0, "withdrawals": 0, "other_events": 0}
        for lo in range(start, end + 1, self.chunk_blocks):
            hi = min(lo + self.chunk_blocks - 1, end)
            assert point is not None
            upto = point if hi == point.number else block_ref(self.w3, hi)
            events, block_times = read_range(
                self.w3, self._contract, self.vault, lo, hi, self._state.next_seq
            )
            try:
                self._state.apply(events, block_times)  # validated in memory first
                self.db.ingest(events, upto)  # then one transaction with the progress mark
            except BaseException:
                self._load()  # back to exactly what the file holds
                raise
            self._progress = upto
            self._refresh_index()
            tally(counts, events)
        self._synced_at = self._clock()
        return SyncReport(
            from_block=start,
            to_block=end,
            finality_block=None if point is None else point.number,
            **counts,
        )

    # ------------------------------------------------------------------ reads

    @property
    def last_block(self) -> BlockRef | None:
        """The newest ingested (final) block."""
        return self._progress

    @property
    def root(self) -> int:
        """The vault's root at the last ingested block (0 for an empty tree)."""
        return self._state.tree.root

    @property
    def size(self) -> int:
        return self._state.tree.size

    def synced_at(self) -> float | None:
        """Clock time of the last sync that reached the finality point (None: never/failed)."""
        return None if self._broken is not None else self._synced_at

    def is_deposited(self, note_id: int) -> bool:
        return note_id in self._state.by_id

    def deposit_of(self, note_id: int) -> DepositRecord | None:
        return self._state.by_id.get(note_id)

    def deposit_at(self, index: int) -> DepositRecord:
        if not 0 <= index < len(self._state.deposits):
            raise MirrorError(f"no deposit at index {index}", field="index")
        return self._state.deposits[index]

    def note_status(self, note_id: int) -> NoteStatus:
        return self._state.status.get(note_id, NoteStatus.NONE)

    def withdrawals(self, after_seq: int = 0) -> list[WithdrawalRecord]:
        """Final `WithdrawalRequested` events with `seq > after_seq`, in chain order."""
        return self.db.withdrawals(after_seq)

    def recorded_checkpoints(self) -> list[CheckpointEvent]:
        """The `RootCheckpointed` events ingested, by epoch."""
        return sorted(self._state.checkpoints.values(), key=lambda c: c.epoch)

    def checkpoint_at(self, epoch: int) -> Checkpoint | None:
        """The final checkpoint of `epoch` (expired or not); None if not final or empty."""
        return self._index.at_epoch(epoch)

    def latest_checkpoint_for(self, root: int) -> Checkpoint | None:
        return self._index.latest_for_root(root)

    def is_accepted_root(self, root: int, now: float) -> bool:
        """§11: a final, non-zero checkpoint still within `root_ttl` of its boundary at `now`."""
        return self._index.is_accepted(root, now)

    def newest_checkpoint(self, now: float | None = None) -> Checkpoint | None:
        """The checkpoint of the newest final epoch, if not expired at `now` (default: wall
        clock). Clients prove against it."""
        return self._index.newest(time.time() if now is None else now)

    def merkle_proof(self, leaf_index: int, checkpoint: Checkpoint | None = None) -> MerkleProof:
        """Proof of the leaf at `leaf_index` against `checkpoint`'s root (default: the newest
        final checkpoint, expired or not); the leaf must be inside that checkpoint."""
        cp = checkpoint or self._index.at_epoch(self._index.final_epoch)
        if cp is None:
            raise MirrorError("there is no final checkpoint yet", field="checkpoint")
        if not 0 <= leaf_index < cp.size:
            raise MirrorError(
                f"leaf {leaf_index} is not in the checkpoint of epoch {cp.epoch} "
                f"({cp.size} leaves): wait for the next checkpoint",
                field="leaf_index",
            )
        with self._sync_lock:  # the tree is not appended to while the proof is read
            tree = self._prefix_tree(cp.size)
            proof = tree.proof(leaf_index)
        if proof.root != cp.root or not verify_proof(proof, self.max_depth):
            raise MirrorInconsistentError(
                f"the first {cp.size} leaves give root {proof.root}, not {cp.root}", field="root"
            )
        return proof

    def _prefix_tree(self, size: int) -> LeanIMT:
        if size == self._state.tree.size:
            return self._state.tree
        cached = self._prefix_cache
        if cached is not None and cached.size == size:
            return cached
        tree = LeanIMT([d.leaf for d in self._state.deposits[:size]], max_depth=self.max_depth)
        self._prefix_cache = tree
        return tree

    def close(self) -> None:
        self.db.close()
