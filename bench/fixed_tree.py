"""bench/gas.py's naive reference: the classic fixed-depth incremental Merkle tree, and bare trees.

- Python model of `contracts/test/FixedDepthMerkleTree.sol` (depth 20, empty leaf 0,
  `node = Poseidon(left, right)`): `FixedDepthTree` replays inserts as the contract does;
  `fixed_root` computes a root from complete subtrees and empty-subtree hashes instead (no replay;
  tests/contracts/test_fixed_depth_tree_reference.py checks both against a naive root).
- `deploy_trees`: that contract and a bare harness of the vault's `LeanIMTAppend` (inline source:
  it links PoseidonT3, so in contracts/ ape would skip it), both over the vault's PoseidonT3.
- `insert_gas`: write the state N inserts leave (via `anvil_setStorageAt`), insert once, check the
  new root against the model, return the gas.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from rich.console import Console
from rich.table import Table
from web3 import Web3
from zkcredits_testing.devchain import DevChain
from zkcredits_testing.tree_state import TreeLevels, mapping_slot

from prover.chain.artifacts import library_artifacts, link
from prover.chain.tx import deploy, send
from prover.crypto.poseidon import poseidon_unchecked
from prover.toolchain.paths import REPO_ROOT
from prover.toolchain.solc import CompiledContract, compile_files

DEPTH: Final[int] = 20
ROOT_HISTORY: Final[int] = 30
SLOT_INDICES: Final[int] = 0  # nextIndex (bits 0..31) | currentRootIndex (bits 32..63)
SLOT_FILLED: Final[int] = 1  # filledSubtrees[0..19]
SLOT_ROOTS: Final[int] = SLOT_FILLED + DEPTH  # roots[0..29]
LEAN_SLOT_SIZE, LEAN_SLOT_ROOT, LEAN_SLOT_FRONTIER = 0, 1, 2
FIXED_SOURCE: Final[str] = "contracts/test/FixedDepthMerkleTree.sol"
HARNESS_SOURCE: Final[str] = """// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.24;
import {LeanIMTAppend, LeanIMTAppendData} from "contracts/libraries/LeanIMTAppend.sol";
/// @title BENCH ONLY: the vault's append-only LeanIMT alone (slots: size 0, root 1, frontier 2)
contract LeanIMTAppendBench {
    LeanIMTAppendData private _tree;
    function insert(uint256 leaf) external returns (uint256 index, uint256 root) {
        return LeanIMTAppend.append(_tree, leaf);
    }
    function root() external view returns (uint256) {
        return _tree.root;
    }
}
"""


@cache
def zero_hashes(depth: int = DEPTH) -> tuple[int, ...]:
    """Root of an empty subtree of each height 0..depth."""
    zeros = [0]
    for _ in range(depth):
        zeros.append(poseidon_unchecked(zeros[-1], zeros[-1]))
    return tuple(zeros)


class FixedDepthTree:
    """The contract's insert, replayed: `filled[i]` is the last left node written at height i."""

    def __init__(self, depth: int = DEPTH) -> None:
        zeros = zero_hashes(depth)
        self.depth = depth
        self.filled = list(zeros[:depth])
        self.next_index = 0
        self.root = zeros[depth]

    def insert(self, leaf: int) -> int:
        zeros, path, node = zero_hashes(self.depth), self.next_index, leaf
        if path >= 1 << self.depth:
            raise ValueError(f"tree of depth {self.depth} is full")
        for level in range(self.depth):
            if path & 1 == 0:
                self.filled[level] = node
                node = poseidon_unchecked(node, zeros[level])
            else:
                node = poseidon_unchecked(self.filled[level], node)
            path >>= 1
        self.next_index += 1
        self.root = node
        return node


def _node(levels: TreeLevels, n: int, tail: Sequence[int], height: int, index: int) -> int:
    """Node at (height, index) of the fixed tree over levels' first n leaves, then `tail`."""
    first, end = index << height, (index + 1) << height
    if first >= n + len(tail):
        return zero_hashes()[height]
    if end <= n:
        return levels.levels[height][index]
    if height == 0:
        return tail[index - n]
    below = height - 1
    return poseidon_unchecked(
        _node(levels, n, tail, below, 2 * index), _node(levels, n, tail, below, 2 * index + 1)
    )


def fixed_root(levels: TreeLevels, n: int, tail: Sequence[int] = ()) -> int:
    """Fixed-depth root over levels' first `n` leaves then `tail` (complete subtrees reused)."""
    return _node(levels, n, tail, DEPTH, 0)


def fixed_state(levels: TreeLevels, n: int) -> dict[int, int]:
    """Every storage slot of FixedDepthMerkleTree that `n` inserts of levels' leaves leave."""
    zeros = zero_hashes()
    slots = {SLOT_INDICES: n | (n % ROOT_HISTORY) << 32}
    for h in range(DEPTH):
        # The last left node written at height h: the even index at or just below (n-1) >> h.
        slots[SLOT_FILLED + h] = _node(levels, n, (), h, ((n - 1) >> h) & ~1) if n else zeros[h]
    for m in range(max(0, n - ROOT_HISTORY + 1), n + 1):
        slots[SLOT_ROOTS + m % ROOT_HISTORY] = fixed_root(levels, m)
    return slots


def lean_state(levels: TreeLevels, n: int) -> dict[int, int]:
    """Every storage slot of LeanIMTAppendBench that `n` appends leave."""
    slots = {LEAN_SLOT_SIZE: n, LEAN_SLOT_ROOT: levels.frontier(n)[1]}
    for h, node in levels.stored_frontier(n).items():
        slots[mapping_slot(h, LEAN_SLOT_FRONTIER)] = node
    return slots


def lean_appended_root(levels: TreeLevels, size: int, leaf: int) -> int:
    """LeanIMT root of levels' first `size` leaves then `leaf` (the vault's tree)."""
    frontier, _ = levels.frontier(size)
    node, h = leaf, 0
    while (size >> h) & 1:
        node = poseidon_unchecked(frontier[h], node)
        h += 1
    new_size, root = size + 1, node
    for j in range(h + 1, new_size.bit_length()):
        if (new_size >> j) & 1:
            root = poseidon_unchecked(frontier[j], root)
    return root


@cache
def compiled() -> dict[str, CompiledContract]:
    """FixedDepthMerkleTree and LeanIMTAppendBench, with the vault's compiler settings."""
    return compile_files(
        [REPO_ROOT / FIXED_SOURCE], extra_sources={"bench/LeanIMTAppendBench.sol": HARNESS_SOURCE}
    )


@dataclass(frozen=True)
class Trees:
    fixed: Any  # web3 contract FixedDepthMerkleTree (root view: lastRoot)
    lean: Any  # web3 contract LeanIMTAppendBench (root view: root)


def deploy_trees(w3: Web3, sender: str, libraries: dict[str, str]) -> Trees:
    """Both bare trees over the deployed PoseidonT3 (`libraries`: name -> address)."""
    found = compiled()

    def make(name: str, bytecode: str, args: Sequence[object]) -> Any:
        abi = found[name].abi
        address = deploy(w3, sender=sender, abi=abi, bytecode=bytecode, args=args).contract_address
        assert address is not None  # deploy() raises without one
        return w3.eth.contract(address=Web3.to_checksum_address(address), abi=abi)

    lean_code = link(found["LeanIMTAppendBench"].bytecode, libraries, library_artifacts())
    return Trees(
        fixed=make(
            "FixedDepthMerkleTree",
            found["FixedDepthMerkleTree"].bytecode,
            [libraries["PoseidonT3"]],
        ),
        lean=make("LeanIMTAppendBench", lean_code, []),
    )


def insert_gas(
    dev: DevChain, trees: Trees, levels: TreeLevels, size: int, leaf: int, sender: str
) -> tuple[int, int]:
    """(fixed-depth, LeanIMT) gas of inserting `leaf` into the state of `size` leaves of levels.

    Raises SystemExit if either tree's new root disagrees with its Python model.
    """
    gas = []
    snap = dev.snapshot()
    for contract, view, slots, expected in (
        (trees.fixed, "lastRoot", fixed_state(levels, size), fixed_root(levels, size, [leaf])),
        (trees.lean, "root", lean_state(levels, size), lean_appended_root(levels, size, leaf)),
    ):
        for slot, value in slots.items():
            dev.set_storage(contract.address, slot, value)
        data = contract.encode_abi("insert", args=[leaf])
        gas.append(send(dev.w3, sender=sender, to=contract.address, data=data).gas_used)
        if contract.functions[view]().call() != expected:
            raise SystemExit(
                f"{contract.address}: insert at {size} disagrees with its Python model"
            )
    dev.revert(snap)
    return gas[0], gas[1]


REFERENCE_NAME: Final[str] = "FixedDepthMerkleTree.insert (depth 20, PoseidonT3), bare"


@dataclass(frozen=True)
class Case:
    """Deposits measured at `indices` (the tree then holds `index` leaves) and their gas."""

    label: str
    indices: list[int]
    deposit_gas: list[int]


def comparison(
    dev: DevChain,
    trees: Trees,
    levels: TreeLevels,
    cases: Sequence[Case],
    leaf: Callable[[int], int],
    sender: str,
) -> list[dict[str, Any]]:
    """Our deposit and our bare LeanIMT insert next to the fixed-depth insert, at the same indices
    (mean gas over a case's indices); `leaf(i)` is the leaf inserted at index i."""
    rows: list[dict[str, Any]] = []
    for case in cases:
        pairs = [insert_gas(dev, trees, levels, i, leaf(i), sender) for i in case.indices]
        fixed = mean([f for f, _ in pairs])
        for ours_name, ours in (
            ("CreditVault.deposit tx (LeanIMT append inside)", mean(case.deposit_gas)),
            ("LeanIMTAppend insert tx, bare", mean([g for _, g in pairs])),
        ):
            rows.append(
                {
                    "measure": f"{ours_name}: {case.label}",
                    "unit": "gas",
                    "ours": ours,
                    "reference": fixed,
                    "reference_name": REFERENCE_NAME,
                    "ratio": round(fixed / ours, 3),
                }
            )
    return rows


def mean(values: Sequence[int]) -> float:
    return round(sum(values) / len(values), 1)


def render_comparison(console: Console, rows: Sequence[dict[str, Any]]) -> None:
    """One line per case: our deposit and bare insert, the reference, and reference / ours."""
    table = Table(title=f"Naive reference in the same run: {REFERENCE_NAME} (tx gas)")
    for col in ("case", "deposit", "LeanIMT bare", "fixed-depth", "ref/deposit", "ref/bare"):
        table.add_column(col, justify="left" if col == "case" else "right")
    for deposit, bare in zip(rows[::2], rows[1::2], strict=True):
        table.add_row(
            deposit["measure"].split(": ", 1)[1],
            f"{deposit['ours']:,.0f}",
            f"{bare['ours']:,.0f}",
            f"{deposit['reference']:,.0f}",
            f"{deposit['ratio']:.2f}×",
            f"{bare['ratio']:.2f}×",
        )
    console.print(table)
