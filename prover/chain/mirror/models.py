"""Typed records of the vault's events as the mirror stores them (ICreditVault.sol)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from prover.crypto.field import P


class Position(BaseModel):
    """Where an event sits on the chain; events are processed in (block, log index) order."""

    model_config = ConfigDict(frozen=True)

    block_number: int = Field(ge=0)
    log_index: int = Field(ge=0)
    tx_hash: str


class DepositRecord(BaseModel):
    """`Deposited(id, index, deposit, expiry, leaf, root)` plus its block's timestamp."""

    model_config = ConfigDict(frozen=True)

    index: int = Field(ge=0)
    note_id: int = Field(gt=0, lt=P)
    deposit: int = Field(ge=0, lt=1 << 64)
    expiry: int = Field(ge=0, lt=1 << 64)
    leaf: int = Field(gt=0, lt=P)
    root: int = Field(gt=0, lt=P)
    timestamp: int = Field(ge=0)
    at: Position


class CheckpointEvent(BaseModel):
    """`RootCheckpointed(epoch, root)`: recorded lazily by the first deposit of `epoch`."""

    model_config = ConfigDict(frozen=True)

    epoch: int = Field(ge=0)
    root: int = Field(ge=0, lt=P)
    at: Position


class WithdrawalRecord(BaseModel):
    """`WithdrawalRequested(...)`; `seq` is the mirror's own order (1, 2, …) for cursors."""

    model_config = ConfigDict(frozen=True)

    seq: int = Field(ge=0)
    note_id: int = Field(gt=0, lt=P)
    nullifier_t: int = Field(ge=0, lt=P)
    y_w: int = Field(ge=0, lt=P)
    pending: bool
    recipient: str
    charged: int = Field(ge=0)
    penalties: int = Field(ge=0)
    ready_at: int = Field(ge=0)
    at: Position


NoteEventKind = Literal["finalized", "slashed", "swept"]


class NoteEvent(BaseModel):
    """`WithdrawalFinalized`, `Slashed` or `Swept` of one note (amounts in token base units)."""

    model_config = ConfigDict(frozen=True)

    kind: NoteEventKind
    note_id: int = Field(gt=0, lt=P)
    amount: int = Field(ge=0)
    at: Position


VaultEvent = DepositRecord | CheckpointEvent | WithdrawalRecord | NoteEvent


class Checkpoint(BaseModel):
    """An accepted root (§11): the vault's root at the boundary `epoch · root_epoch`, over the
    first `size` leaves; accepted until `expires_at = boundary + root_ttl`."""

    model_config = ConfigDict(frozen=True)

    epoch: int = Field(ge=0)
    root: int = Field(gt=0, lt=P)
    size: int = Field(gt=0)
    boundary: int = Field(ge=0)
    expires_at: int = Field(ge=0)


class SyncReport(BaseModel):
    """What one `sync()` did: the block range ingested (empty when `from_block > to_block`)."""

    model_config = ConfigDict(frozen=True)

    from_block: int
    to_block: int
    deposits: int = 0
    withdrawals: int = 0
    other_events: int = 0
    finality_block: int | None = None

    @property
    def events(self) -> int:
        return self.deposits + self.withdrawals + self.other_events
