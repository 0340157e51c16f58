"""zk-kit LeanIMT (TS @zk-kit/lean-imt and Solidity @zk-kit/lean-imt.sol) with circuit proofs.

`node = Poseidon(left, right)`; a lone left child moves up unhashed; the empty root is 0.
Leaves follow the Solidity library's rules: canonical, non-zero, unique.
Proofs come in the form zk-kit's circom `BinaryMerkleRoot(MAX_DEPTH)` consumes: levels where the
node has no sibling are dropped (as TS `generateProof` does), `depth` = number of kept siblings,
`indices`/`siblings` padded with zeros to MAX_DEPTH.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from prover.crypto.errors import CryptoError, MerkleError
from prover.crypto.field import require_canonical
from prover.crypto.poseidon import poseidon_unchecked

DEFAULT_MAX_DEPTH: Final[int] = 20


@dataclass(frozen=True, slots=True)
class MerkleProof:
    """Inputs of `BinaryMerkleRoot(max_depth)` plus the root they should produce."""

    root: int
    leaf: int
    depth: int
    indices: tuple[int, ...]
    siblings: tuple[int, ...]

    @property
    def index(self) -> int:
        """zk-kit TS `generateProof().index`: the kept path bits as an integer."""
        return sum(bit << i for i, bit in enumerate(self.indices[: self.depth]))

    def to_circuit_inputs(self) -> dict[str, object]:
        """`{leaf, depth, indices, siblings}` as decimal strings, for a circom witness."""
        return {
            "leaf": str(self.leaf),
            "depth": str(self.depth),
            "indices": [str(i) for i in self.indices],
            "siblings": [str(s) for s in self.siblings],
        }


def compute_root(leaf: int, depth: int, indices: Iterable[int], siblings: Iterable[int]) -> int:
    """What `BinaryMerkleRoot` outputs for these inputs (raises on malformed inputs)."""
    idx, sib = tuple(indices), tuple(siblings)
    if len(idx) != len(sib):
        raise MerkleError("indices and siblings differ in length", field="siblings")
    if type(depth) is not int or not 0 <= depth <= len(sib):
        raise MerkleError(f"depth must be in [0, {len(sib)}], got {depth!r}", field="depth")
    node = require_canonical(leaf, "leaf")
    for level in range(depth):
        if idx[level] not in (0, 1) or type(idx[level]) is not int:
            raise MerkleError(f"indices[{level}] must be 0 or 1", field="indices")
        s = require_canonical(sib[level], f"siblings[{level}]")
        node = poseidon_unchecked(s, node) if idx[level] else poseidon_unchecked(node, s)
    return node


def verify_proof(proof: MerkleProof, max_depth: int = DEFAULT_MAX_DEPTH) -> bool:
    """True iff the proof is well formed for `max_depth` and recomputes `proof.root`.

    Padding must be zero, as the prover emits it (the circuit ignores padded levels' roots).
    """
    try:
        if len(proof.indices) != max_depth or len(proof.siblings) != max_depth:
            return False
        if any(proof.indices[proof.depth :]) or any(proof.siblings[proof.depth :]):
            return False
        got = compute_root(proof.leaf, proof.depth, proof.indices, proof.siblings)
    except CryptoError:  # malformed or non-canonical inputs are a failed proof, not a crash
        return False
    return proof.root != 0 and got == proof.root


class LeanIMT:
    """Incremental LeanIMT: O(depth) hashes per insert; levels stored as lists."""

    __slots__ = ("_index", "_nodes", "max_depth")

    def __init__(self, leaves: Iterable[int] = (), max_depth: int = DEFAULT_MAX_DEPTH) -> None:
        if type(max_depth) is not int or not 1 <= max_depth <= 64:
            raise MerkleError("max_depth must be in [1, 64]", field="max_depth")
        self.max_depth = max_depth
        self._nodes: list[list[int]] = [[]]
        self._index: dict[int, int] = {}
        batch = list(leaves)
        if batch:
            self.insert_many(batch)

    @property
    def size(self) -> int:
        return len(self._nodes[0])

    @property
    def depth(self) -> int:
        return len(self._nodes) - 1

    @property
    def root(self) -> int:
        """Current root; 0 for the empty tree."""
        return self._nodes[-1][0] if self._nodes[0] else 0

    @property
    def leaves(self) -> list[int]:
        return list(self._nodes[0])

    def index_of(self, leaf: int) -> int:
        """Index of `leaf`; raises `MerkleError` if absent."""
        try:
            return self._index[leaf]
        except (KeyError, TypeError):
            raise MerkleError(f"leaf {leaf!r} is not in the tree", field="leaf") from None

    def has(self, leaf: int) -> bool:
        return leaf in self._index

    def _check_new(self, leaf: int, pending: set[int]) -> None:
        require_canonical(leaf, "leaf")
        if leaf == 0:
            raise MerkleError("leaf cannot be zero", field="leaf")
        if leaf in self._index or leaf in pending:
            raise MerkleError(f"leaf {leaf} already exists", field="leaf")

    def _check_capacity(self, new_size: int) -> None:
        if new_size > 1 << self.max_depth:
            raise MerkleError(f"tree is full at max_depth={self.max_depth}", field="max_depth")

    def insert(self, leaf: int) -> int:
        """Append one leaf (O(depth) hashes); returns the new root."""
        self._check_new(leaf, set())
        index = self.size
        self._check_capacity(index + 1)
        if index + 1 > 1 << self.depth:
            self._nodes.append([])
        self._index[leaf] = index
        node = leaf
        for level in range(self.depth):
            row = self._nodes[level]
            if index < len(row):
                row[index] = node
            else:
                row.append(node)
            if index & 1:
                node = poseidon_unchecked(row[index - 1], node)
            index >>= 1
        self._nodes[self.depth] = [node]
        return node

    def insert_many(self, leaves: Iterable[int]) -> int:
        """Append several leaves, hashing each touched node once; returns the new root."""
        batch = list(leaves)
        if not batch:
            raise MerkleError("there are no leaves to add", field="leaves")
        pending: set[int] = set()
        for leaf in batch:
            self._check_new(leaf, pending)
            pending.add(leaf)
        self._check_capacity(self.size + len(batch))
        start = self.size >> 1
        for i, leaf in enumerate(batch):
            self._index[leaf] = self.size + i
        self._nodes[0].extend(batch)
        while self.size > 1 << self.depth:
            self._nodes.append([])
        for level in range(self.depth):
            row, parent = self._nodes[level], self._nodes[level + 1]
            count = (len(row) + 1) // 2
            del parent[start:]
            for idx in range(start, count):
                left = row[2 * idx]
                right_i = 2 * idx + 1
                parent.append(
                    poseidon_unchecked(left, row[right_i]) if right_i < len(row) else left
                )
            start >>= 1
        return self.root

    def proof(self, index: int) -> MerkleProof:
        """Circuit-ready proof for the leaf at `index` (padded to `max_depth`)."""
        if type(index) is not int or not 0 <= index < self.size:
            raise MerkleError(f"no leaf at index {index!r}", field="index")
        leaf_value = self._nodes[0][index]
        indices: list[int] = []
        siblings: list[int] = []
        i = index
        for level in range(self.depth):
            right = i & 1
            sib_i = i - 1 if right else i + 1
            row = self._nodes[level]
            if sib_i < len(row):
                indices.append(right)
                siblings.append(row[sib_i])
            i >>= 1
        depth = len(siblings)
        pad = self.max_depth - depth
        return MerkleProof(
            root=self.root,
            leaf=leaf_value,
            depth=depth,
            indices=tuple(indices) + (0,) * pad,
            siblings=tuple(siblings) + (0,) * pad,
        )


__all__ = ["DEFAULT_MAX_DEPTH", "LeanIMT", "MerkleProof", "compute_root", "verify_proof"]
