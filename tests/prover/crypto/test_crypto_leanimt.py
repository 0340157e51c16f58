"""LeanIMT: zk-kit semantics, batch equals incremental, circuit-shaped proofs resist tampering."""

from __future__ import annotations

import dataclasses
import secrets

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prover.crypto import (
    DEFAULT_MAX_DEPTH,
    LeanIMT,
    MerkleError,
    MerkleProof,
    NonCanonicalError,
    P,
    compute_root,
    poseidon,
    verify_proof,
)


def _leaves(n: int, start: int = 1) -> list[int]:
    return [poseidon(start + i) for i in range(n)]


def _naive_root(leaves: list[int]) -> int:
    """The LeanIMT definition: pair up, hash pairs, carry a lone left child up unhashed."""
    level = list(leaves)
    if not level:
        return 0
    while len(level) > 1:
        level = [
            poseidon(level[i], level[i + 1]) if i + 1 < len(level) else level[i]
            for i in range(0, len(level), 2)
        ]
    return level[0]


def test_the_empty_tree_has_root_zero_and_one_leaf_is_its_own_root() -> None:
    tree = LeanIMT()
    assert (tree.root, tree.size, tree.depth) == (0, 0, 0)
    tree.insert(77)
    assert (tree.root, tree.size, tree.depth) == (77, 1, 0)
    pr = tree.proof(0)
    assert pr.depth == 0 and pr.root == 77 and verify_proof(pr)


def test_a_lone_left_child_moves_up_unhashed() -> None:
    a, b, c = _leaves(3)
    tree = LeanIMT([a, b, c])
    assert tree.root == poseidon(poseidon(a, b), c)
    assert tree.depth == 2


@given(st.integers(1, 70), st.data())
@settings(max_examples=25, deadline=None)
def test_incremental_batch_and_mixed_insertion_give_the_same_tree(
    n: int, data: st.DataObject
) -> None:
    leaves = _leaves(n)
    split = data.draw(st.integers(0, n))
    one_by_one = LeanIMT()
    for v in leaves:
        one_by_one.insert(v)
    mixed = LeanIMT(leaves[:split]) if split else LeanIMT()
    if split < n:
        mixed.insert_many(leaves[split:])
    batch = LeanIMT(leaves)
    assert one_by_one.root == mixed.root == batch.root == _naive_root(leaves)
    assert one_by_one.depth == batch.depth == max(0, (n - 1).bit_length())
    assert batch.leaves == leaves
    assert [batch.index_of(v) for v in leaves] == list(range(n))


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 33, 100])
def test_proofs_verify_for_every_index(n: int) -> None:
    tree = LeanIMT(_leaves(n))
    for i in range(n):
        pr = tree.proof(i)
        assert len(pr.indices) == len(pr.siblings) == DEFAULT_MAX_DEPTH
        assert pr.depth <= tree.depth
        assert pr.leaf == tree.leaves[i]
        assert verify_proof(pr)
        assert compute_root(pr.leaf, pr.depth, pr.indices, pr.siblings) == tree.root


def test_levels_without_a_sibling_are_dropped_as_zk_kit_does() -> None:
    tree = LeanIMT(_leaves(5))  # leaf 4 climbs alone until the top level
    pr = tree.proof(4)
    assert pr.depth == 1
    assert pr.indices[0] == 1
    assert pr.siblings[0] == poseidon(poseidon(*_leaves(2)), poseidon(*_leaves(2, 3)))
    assert pr.index == 1


@given(st.integers(2, 40), st.data())
@settings(max_examples=30, deadline=None)
def test_tampered_proofs_are_rejected(n: int, data: st.DataObject) -> None:
    tree = LeanIMT(_leaves(n))
    pr = tree.proof(data.draw(st.integers(0, n - 1)))
    assert verify_proof(pr)
    level = data.draw(st.integers(0, pr.depth - 1))
    sib = list(pr.siblings)
    sib[level] = (sib[level] + 1) % P
    idx = list(pr.indices)
    idx[level] ^= 1
    tampered = [
        dataclasses.replace(pr, leaf=(pr.leaf + 1) % P),
        dataclasses.replace(pr, siblings=tuple(sib)),
        dataclasses.replace(pr, indices=tuple(idx)),
        dataclasses.replace(pr, root=(pr.root + 1) % P),
        dataclasses.replace(pr, depth=pr.depth - 1),
        dataclasses.replace(pr, depth=pr.depth + 1),
    ]
    for bad in tampered:
        assert not verify_proof(bad)


def test_malformed_proofs_fail_verification_instead_of_raising() -> None:
    pr = LeanIMT(_leaves(6)).proof(2)
    idx = list(pr.indices)
    idx[0] = 2
    padded = list(pr.siblings)
    padded[-1] = 5
    for bad in (
        dataclasses.replace(pr, indices=tuple(idx)),
        dataclasses.replace(pr, siblings=tuple(padded)),
        dataclasses.replace(pr, siblings=pr.siblings[:-1]),
        dataclasses.replace(pr, leaf=P),
        dataclasses.replace(pr, depth=-1),
        dataclasses.replace(pr, depth=DEFAULT_MAX_DEPTH + 1),
    ):
        assert not verify_proof(bad)
    assert not verify_proof(pr, max_depth=10)


def test_leaves_follow_the_solidity_rules() -> None:
    tree = LeanIMT([5])
    with pytest.raises(MerkleError):
        tree.insert(0)
    with pytest.raises(MerkleError):
        tree.insert(5)
    with pytest.raises(NonCanonicalError):
        tree.insert(P)
    with pytest.raises(MerkleError):
        tree.insert_many([6, 6])
    with pytest.raises(MerkleError):
        tree.insert_many([])
    assert tree.size == 1 and tree.root == 5


def test_lookups_and_proofs_refuse_missing_leaves_and_indices() -> None:
    tree = LeanIMT(_leaves(3))
    with pytest.raises(MerkleError):
        tree.index_of(12345)
    for bad in (-1, 3, True):
        with pytest.raises(MerkleError):
            tree.proof(bad)


def test_the_tree_refuses_to_grow_beyond_its_maximum_depth() -> None:
    tree = LeanIMT(_leaves(4), max_depth=2)
    with pytest.raises(MerkleError):
        tree.insert(poseidon(999))
    with pytest.raises(MerkleError):
        LeanIMT(max_depth=2).insert_many(_leaves(5))
    assert tree.size == 4


def test_circuit_inputs_are_decimal_strings_padded_to_max_depth() -> None:
    pr = LeanIMT(_leaves(3)).proof(1)
    inputs = pr.to_circuit_inputs()
    assert inputs["depth"] == str(pr.depth)
    assert len(inputs["siblings"]) == len(inputs["indices"]) == DEFAULT_MAX_DEPTH  # type: ignore[arg-type]
    assert isinstance(pr, MerkleProof)


def test_a_tree_of_65536_leaves_builds_incrementally_and_its_proofs_verify() -> None:
    leaves = [1 + secrets.randbelow(P - 1) for _ in range(1 << 16)]
    tree = LeanIMT(leaves[: 1 << 15])
    tree.insert_many(leaves[1 << 15 : (1 << 16) - 64])
    for v in leaves[(1 << 16) - 64 :]:
        tree.insert(v)
    assert tree.size == 1 << 16 and tree.depth == 16
    for i in (0, 12345, (1 << 16) - 1):
        pr = tree.proof(i)
        assert pr.depth == 16 and verify_proof(pr)
    tree.insert(poseidon(1))
    assert tree.depth == 17
    assert verify_proof(tree.proof(1 << 16)) and tree.proof(1 << 16).depth == 1
