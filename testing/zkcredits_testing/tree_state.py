"""Put a CreditVault's append-only LeanIMT into an N-leaf state through Anvil storage writes.

For gas benchmarks at 2^16 notes without 2^16 transactions. The state written is exactly what
N deposits leave in the tree: `size`, `root` and every frontier node an append has written
(roots of complete subtrees, computed with the Python LeanIMT twin over N real leaves): the one of
each set bit of `size`, and the stale ones at the clear bits, never read again but present (an
append that rewrites one pays 5 k gas, not 22.1 k for a fresh slot).
Notes themselves are not written (the measured deposit only touches the tree and its own note).

Storage layout of `CreditVault` (no inherited storage: the reentrancy guard is transient):
slot 0 `_notes`, 1 `_exits`, 2 `_owed`, 3 `_burned`, 4 `_tree.size`, 5 `_tree.root`,
6 `_tree.frontier`, 7 `_lastDepositEpoch`, 8 `_checkpoints`. `check_layout` verifies it against
a live vault before use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from eth_hash.auto import keccak

from prover.chain.errors import ChainError
from prover.crypto.poseidon import poseidon_unchecked
from zkcredits_testing.devchain import DevChain

SLOT_TREE_SIZE: Final[int] = 4
SLOT_TREE_ROOT: Final[int] = 5
SLOT_TREE_FRONTIER: Final[int] = 6
SLOT_LAST_DEPOSIT_EPOCH: Final[int] = 7


def mapping_slot(key: int, slot: int) -> int:
    return int.from_bytes(keccak(key.to_bytes(32, "big") + slot.to_bytes(32, "big")), "big")


class TreeLevels:
    """Every complete-subtree node over a list of leaves, so any prefix's frontier is a lookup."""

    def __init__(self, leaves: Sequence[int]) -> None:
        self.levels: list[list[int]] = [list(leaves)]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            self.levels.append(
                [poseidon_unchecked(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
            )

    def frontier(self, size: int) -> tuple[dict[int, int], int]:
        """Frontier nodes (height -> complete-subtree root) and LeanIMT root of the first `size`."""
        if not 0 <= size <= len(self.levels[0]):
            raise ChainError(f"size {size} outside [0, {len(self.levels[0])}]")
        frontier = {
            h: self.levels[h][(size >> h) - 1] for h in range(size.bit_length()) if (size >> h) & 1
        }
        if size == 0:
            return {}, 0
        low = (size & -size).bit_length() - 1
        root = frontier[low]
        for j in range(low + 1, size.bit_length()):
            if (size >> j) & 1:
                root = poseidon_unchecked(frontier[j], root)
        return frontier, root

    def stored_frontier(self, size: int) -> dict[int, int]:
        """Every `frontier[h]` that `size` appends leave in storage, stale ones included.

        An append writes frontier[h] for the complete subtree of height h it finishes (at an even
        index) and never clears it, so each height keeps the last such subtree."""
        nodes = {}
        for h in range(size.bit_length()):
            index = (size >> h) - 1 if (size >> h) & 1 else (size >> h) - 2
            if index >= 0:
                nodes[h] = self.levels[h][index]
        return nodes


def inject_tree(dev: DevChain, vault: str, levels: TreeLevels, size: int) -> int:
    """Write the state of the first `size` leaves into `vault`; returns the root written."""
    _, root = levels.frontier(size)
    for h, node in levels.stored_frontier(size).items():
        dev.set_storage(vault, mapping_slot(h, SLOT_TREE_FRONTIER), node)
    dev.set_storage(vault, SLOT_TREE_SIZE, size)
    dev.set_storage(vault, SLOT_TREE_ROOT, root)
    return root


def check_layout(
    dev: DevChain, vault: str, size: Callable[[], int], root: Callable[[], int]
) -> None:
    """Refuse to inject unless the slots above hold what the vault's views report."""
    if dev.storage(vault, SLOT_TREE_SIZE) != size() or dev.storage(vault, SLOT_TREE_ROOT) != root():
        raise ChainError(
            "CreditVault storage layout changed: update testing/zkcredits_testing/tree_state.py"
        )
