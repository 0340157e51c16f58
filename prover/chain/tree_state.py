"""Put a CreditVault's append-only LeanIMT into an N-leaf state through Anvil storage writes.

For gas benchmarks at 2^16 notes without 2^16 transactions. The state written is what the tree
reads after N deposits: `size`, `root` and the frontier node of every set bit of `size` (roots of
complete subtrees, computed with the Python LeanIMT twin over N real leaves). Real deposits also
leave stale frontier nodes at the clear bits (never read, but rewriting one costs 5 k gas, not
22.1 k for a fresh slot): `bench/gas.py` writes those too (`bench/fixed_tree.frontier_nodes`).
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

from prover.chain.devchain import DevChain
from prover.chain.errors import ChainError
from prover.crypto.poseidon import poseidon_unchecked

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


def inject_tree(dev: DevChain, vault: str, levels: TreeLevels, size: int) -> int:
    """Write the state of the first `size` leaves into `vault`; returns the root written."""
    frontier, root = levels.frontier(size)
    for h, node in frontier.items():
        dev.set_storage(vault, mapping_slot(h, SLOT_TREE_FRONTIER), node)
    dev.set_storage(vault, SLOT_TREE_SIZE, size)
    dev.set_storage(vault, SLOT_TREE_ROOT, root)
    return root


def check_layout(
    dev: DevChain, vault: str, size: Callable[[], int], root: Callable[[], int]
) -> None:
    """Refuse to inject unless the slots above hold what the vault's views report."""
    if dev.storage(vault, SLOT_TREE_SIZE) != size() or dev.storage(vault, SLOT_TREE_ROOT) != root():
        raise ChainError("CreditVault storage layout changed: update prover/chain/tree_state.py")
