"""The mirror's in-memory state (LeanIMT, deposits, note statuses, recorded checkpoints) and the
rules every ingested event must satisfy against it (index, leaf, root, epoch, §7 transitions)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from prover.chain.mirror.db import MirrorDb
from prover.chain.mirror.errors import MirrorInconsistentError
from prover.chain.mirror.models import (
    CheckpointEvent,
    DepositRecord,
    NoteEvent,
    VaultEvent,
    WithdrawalRecord,
)
from prover.chain.vault import NoteStatus
from prover.crypto import rln
from prover.crypto.leanimt import LeanIMT

STATUS_AFTER: Final[dict[str, NoteStatus]] = {
    "finalized": NoteStatus.CLOSED,
    "slashed": NoteStatus.SLASHED,
    "swept": NoteStatus.SWEPT,
}
_FROM: Final[dict[str, tuple[NoteStatus, ...]]] = {
    "finalized": (NoteStatus.EXITING,),
    "slashed": (NoteStatus.ACTIVE, NoteStatus.EXITING),
    "swept": (NoteStatus.ACTIVE,),
}


class MirrorState:
    """Everything the mirror knows, rebuilt from its file (`load`) or advanced by `apply`."""

    def __init__(self, max_depth: int, root_epoch: int) -> None:
        self.root_epoch = root_epoch
        self.tree = LeanIMT(max_depth=max_depth)
        self.deposits: list[DepositRecord] = []
        self.by_id: dict[int, DepositRecord] = {}
        self.status: dict[int, NoteStatus] = {}
        self.checkpoints: dict[int, CheckpointEvent] = {}
        self.next_seq = 1

    @classmethod
    def load(cls, db: MirrorDb, max_depth: int, root_epoch: int) -> MirrorState:
        """The state of a mirror file, re-checking that its leaves give its last root."""
        state = cls(max_depth, root_epoch)
        deposits = db.deposits()
        if deposits:
            state.tree.insert_many([d.leaf for d in deposits])
            if state.tree.root != deposits[-1].root:
                raise MirrorInconsistentError(
                    f"mirror file {db.path}: its leaves give root {state.tree.root}, its last "
                    f"deposit recorded {deposits[-1].root}",
                    field="root",
                )
        for d in deposits:
            state.deposits.append(d)
            state.by_id[d.note_id] = d
            state.status[d.note_id] = NoteStatus.ACTIVE
        for w in db.withdrawals():
            state.status[w.note_id] = NoteStatus.EXITING
        for e in db.note_events():
            state.status[e.note_id] = STATUS_AFTER[e.kind]
        for c in db.checkpoint_events():
            state.checkpoints[c.epoch] = c
        state.next_seq = db.max_withdrawal_seq() + 1
        return state

    def apply(self, events: Sequence[VaultEvent], block_times: Mapping[int, int]) -> None:
        """Check each event against the state and apply it; raises on the first bad one (the
        caller then reloads from the file, which was not written)."""
        for e in events:
            if isinstance(e, DepositRecord):
                self._deposit(e)
            elif isinstance(e, CheckpointEvent):
                self._checkpoint(e, block_times[e.at.block_number])
            elif isinstance(e, WithdrawalRecord):
                self._transition(e.note_id, (NoteStatus.ACTIVE,), NoteStatus.EXITING, "withdrawal")
                self.next_seq = e.seq + 1
            else:
                assert isinstance(e, NoteEvent)
                self._transition(e.note_id, _FROM[e.kind], STATUS_AFTER[e.kind], e.kind)

    def _deposit(self, d: DepositRecord) -> None:
        where = f"Deposited at block {d.at.block_number} log {d.at.log_index}"
        if d.index != self.tree.size:
            raise MirrorInconsistentError(
                f"{where} has index {d.index}, the mirror expects {self.tree.size}", field="index"
            )
        if d.note_id in self.by_id:
            raise MirrorInconsistentError(f"{where} reuses note ID {d.note_id}", field="id")
        if rln.leaf(d.note_id, d.deposit, d.expiry) != d.leaf:
            raise MirrorInconsistentError(
                f"{where}: leaf {d.leaf} is not H(TAG_LEAF, ID, D, expiry)", field="leaf"
            )
        root = self.tree.insert(d.leaf)
        if root != d.root:
            raise MirrorInconsistentError(
                f"{where} reports root {d.root}, the mirror's LeanIMT gives {root}", field="root"
            )
        self.deposits.append(d)
        self.by_id[d.note_id] = d
        self.status[d.note_id] = NoteStatus.ACTIVE

    def _checkpoint(self, c: CheckpointEvent, timestamp: int) -> None:
        where = f"RootCheckpointed at block {c.at.block_number}"
        epoch = timestamp // self.root_epoch
        if c.epoch != epoch or c.epoch in self.checkpoints:
            raise MirrorInconsistentError(
                f"{where} names epoch {c.epoch}; the block is in epoch {epoch}", field="epoch"
            )
        if c.root != self.tree.root:
            raise MirrorInconsistentError(
                f"{where} records root {c.root}, the mirror's root there is {self.tree.root}",
                field="root",
            )
        self.checkpoints[c.epoch] = c

    def _transition(
        self, note: int, allowed: tuple[NoteStatus, ...], after: NoteStatus, what: str
    ) -> None:
        status = self.status.get(note, NoteStatus.NONE)
        if status not in allowed:
            raise MirrorInconsistentError(
                f"{what} of note {note} in status {status.name}", field="status"
            )
        self.status[note] = after
