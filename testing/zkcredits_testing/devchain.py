"""Anvil-only controls: time travel, snapshots, storage injection, accounts.

Only for local development chains (tests, benchmarks); never pointed at a real network.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from web3 import Web3

from prover.chain.errors import ChainError


class DevChain:
    """Thin typed wrapper over Anvil's `evm_*` / `anvil_*` RPC methods."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3

    def _rpc(self, method: str, params: list[Any]) -> Any:
        reply = self.w3.provider.make_request(method, params)  # type: ignore[arg-type]
        if "error" in reply:
            raise ChainError(f"{method} failed: {reply['error']}")
        return reply["result"]

    def snapshot(self) -> str:
        return str(self._rpc("evm_snapshot", []))

    def revert(self, snapshot_id: str) -> None:
        if self._rpc("evm_revert", [snapshot_id]) is not True:
            raise ChainError(f"evm_revert({snapshot_id}) refused")

    @contextmanager
    def isolated(self) -> Iterator[None]:
        """Everything done inside is undone afterwards (state and time)."""
        snap = self.snapshot()
        try:
            yield
        finally:
            self.revert(snap)

    def timestamp(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def advance(self, seconds: int) -> int:
        """Move time forward and mine one block; returns the new block timestamp."""
        self._rpc("evm_increaseTime", [seconds])
        self._rpc("evm_mine", [])
        return self.timestamp()

    def advance_to(self, timestamp: int) -> int:
        """Mine the next block at exactly `timestamp` (must be in the future)."""
        self._rpc("evm_mine", [timestamp])
        return self.timestamp()

    def set_next_timestamp(self, timestamp: int) -> None:
        self._rpc("evm_setNextBlockTimestamp", [timestamp])

    def set_storage(self, address: str, slot: int, value: int) -> None:
        self._rpc(
            "anvil_setStorageAt", [address, hex(slot), "0x" + value.to_bytes(32, "big").hex()]
        )

    def storage(self, address: str, slot: int) -> int:
        return int.from_bytes(self.w3.eth.get_storage_at(Web3.to_checksum_address(address), slot))

    def set_balance(self, address: str, wei: int) -> None:
        self._rpc("anvil_setBalance", [address, hex(wei)])
