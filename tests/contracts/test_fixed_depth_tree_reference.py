"""bench/gas.py's naive reference (contracts/test/FixedDepthMerkleTree.sol, bench/fixed_tree.py) is
a correct fixed-depth Merkle tree, and the state the benchmark writes is what real inserts leave.

The oracle is a naive level-by-level root written here, independent of the benchmark's models.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from web3 import Web3
from zkcredits_testing.devchain import DevChain
from zkcredits_testing.tree_state import TreeLevels

from prover.chain.tx import send
from prover.crypto.field import P
from prover.crypto.leanimt import LeanIMT
from prover.crypto.poseidon import poseidon

ROOT = Path(__file__).resolve().parents[2]
DEPTH = 20


def _fixed_tree() -> ModuleType:
    """bench/fixed_tree.py (bench/ is not a package)."""
    name = "zkc_bench_fixed_tree"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / "fixed_tree.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def naive_root(leaves: list[int]) -> int:
    """Root of the depth-20 tree over `leaves` then zero leaves, hashing every level in full."""
    level, empty = list(leaves), 0
    for _ in range(DEPTH):
        if len(level) % 2:
            level.append(empty)
        level = [poseidon(level[i], level[i + 1]) for i in range(0, len(level), 2)]
        empty = poseidon(empty, empty)
    return level[0] if level else empty


@pytest.fixture
def trees(w3: Web3, isolated: None, deployer: str, poseidon_libraries: dict[str, str]) -> Any:
    return _fixed_tree().deploy_trees(w3, deployer, poseidon_libraries)


def _insert(w3: Web3, contract: Any, leaf: int, sender: str) -> int:
    data = contract.encode_abi("insert", args=[leaf])
    return send(w3, sender=sender, to=contract.address, data=data).gas_used


def test_the_reference_contract_gives_the_naive_fixed_depth_root_after_every_insert(
    w3: Web3, trees: Any, alice: str
) -> None:
    ft = _fixed_tree()
    fixed = trees.fixed.functions
    assert [fixed.zeros(i).call() for i in range(DEPTH + 1)] == list(ft.zero_hashes())
    assert fixed.lastRoot().call() == naive_root([])
    rng = random.Random(11)
    leaves = [rng.randrange(1, P) for _ in range(9)]
    model = ft.FixedDepthTree()
    for i, leaf in enumerate(leaves):
        _insert(w3, trees.fixed, leaf, alice)
        root = naive_root(leaves[: i + 1])
        assert fixed.lastRoot().call() == model.insert(leaf) == root
        assert fixed.nextIndex().call() == i + 1
        assert fixed.isKnownRoot(root).call()
    assert not fixed.isKnownRoot(naive_root([*leaves[:3], 5])).call()


def test_roots_from_complete_subtrees_equal_the_naive_roots_for_both_tree_shapes() -> None:
    ft = _fixed_tree()
    rng = random.Random(12)
    leaves = [rng.randrange(1, P) for _ in range(40)]
    levels = TreeLevels(leaves)
    for n in (0, 1, 2, 7, 16, 23, 39):
        tail = [rng.randrange(1, P)]
        assert ft.fixed_root(levels, n) == naive_root(leaves[:n])
        assert ft.fixed_root(levels, n, tail) == naive_root(leaves[:n] + tail)
        assert ft.lean_appended_root(levels, n, tail[0]) == LeanIMT([*leaves[:n], *tail]).root


def test_the_written_state_is_the_storage_real_inserts_leave_and_costs_the_same_gas(
    w3: Web3,
    dev: DevChain,
    trees: Any,
    deployer: str,
    poseidon_libraries: dict[str, str],
    alice: str,
) -> None:
    ft = _fixed_tree()
    blank = ft.deploy_trees(w3, deployer, poseidon_libraries)  # the benchmark writes state here
    rng = random.Random(13)
    leaves = [rng.randrange(1, P) for _ in range(36)]  # past the 30-root ring and a 2^5 boundary
    levels = TreeLevels(leaves)
    for n, leaf in enumerate(leaves):
        real = (_insert(w3, trees.fixed, leaf, alice), _insert(w3, trees.lean, leaf, alice))
        if n in {1, 2, 5, 16, 31, 32, 35}:
            assert ft.insert_gas(dev, blank, levels, n, leaf, alice) == real, n
        for contract, state in ((trees.fixed, ft.fixed_state), (trees.lean, ft.lean_state)):
            for slot, value in state(levels, n + 1).items():
                assert dev.storage(contract.address, slot) == value, (n + 1, slot)
    assert trees.fixed.functions.lastRoot().call() == naive_root(leaves)
    assert trees.lean.functions.root().call() == LeanIMT(leaves).root
