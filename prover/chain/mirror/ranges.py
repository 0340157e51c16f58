"""The vault events of one block range: fetched, decoded in chain order, and counted."""

from __future__ import annotations

from web3 import Web3
from web3.contract import Contract

from prover.chain.mirror.events import decode, fetch_logs
from prover.chain.mirror.finality import block_ref
from prover.chain.mirror.models import CheckpointEvent, DepositRecord, VaultEvent, WithdrawalRecord


def read_range(
    w3: Web3, contract: Contract, vault: str, lo: int, hi: int, first_seq: int
) -> tuple[list[VaultEvent], dict[int, int]]:
    """The mirrored events of `[lo, hi]` (numbered from `first_seq`) and the timestamps of the
    blocks holding them."""
    times: dict[int, int] = {}

    def timestamp_of(block: int) -> int:
        if block not in times:
            times[block] = block_ref(w3, block).timestamp
        return times[block]

    seq = first_seq

    def next_seq() -> int:
        nonlocal seq
        seq += 1
        return seq - 1

    out = []
    for log in fetch_logs(w3, vault, lo, hi):
        event = decode(contract, log, timestamp_of, next_seq)
        if isinstance(event, CheckpointEvent):
            timestamp_of(event.at.block_number)  # its epoch is checked against the block
        if event is not None:
            out.append(event)
    return out, times


def tally(counts: dict[str, int], events: list[VaultEvent]) -> None:
    """Add `events` to the `deposits` / `withdrawals` / `other_events` counts of a sync."""
    for e in events:
        if isinstance(e, DepositRecord):
            counts["deposits"] += 1
        elif isinstance(e, WithdrawalRecord):
            counts["withdrawals"] += 1
        else:
            counts["other_events"] += 1
