// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

import {PoseidonT3} from "poseidon-solidity/PoseidonT3.sol";

/// @notice State of an append-only LeanIMT.
/// @dev `frontier[h]` is the root of the complete subtree of height h waiting for a right
/// sibling; it is meaningful iff bit h of `size` is 1 (stale values are never read).
struct LeanIMTAppendData {
    uint256 size;
    uint256 root;
    mapping(uint256 height => uint256) frontier;
}

/// @title Append-only LeanIMT with zk-kit's exact roots (decision D7)
/// @notice Same tree as `@zk-kit/lean-imt.sol`: `node = Poseidon(left, right)`, a lone left
/// child moves up unhashed, the root of one leaf is that leaf, the empty root is 0, the depth is
/// the smallest d with 2^d ≥ size. The vault only ever appends, so this keeps only what appending
/// needs: one frontier node per set bit of `size` and the root. Compared with zk-kit's library it
/// drops the leaf→index map (leaves are unique by construction: each binds a single-use ID) and
/// the per-level side-node rewrites, so an insert costs popcount(index) Poseidon hashes plus two
/// or three storage writes. `test/LeanIMTReference.sol` checks it against zk-kit's library.
library LeanIMTAppend {
    /// @notice Append `leaf` (canonical and non-zero: the caller guarantees it); returns its index
    /// and the new root.
    function append(LeanIMTAppendData storage self, uint256 leaf) internal returns (uint256 index, uint256 newRoot) {
        index = self.size;
        uint256 node = leaf;
        uint256 h;
        // Merge the complete subtrees this leaf finishes (one per trailing 1 of `index`).
        while ((index >> h) & 1 == 1) {
            node = PoseidonT3.hash([self.frontier[h], node]);
            unchecked {
                ++h;
            }
        }
        self.frontier[h] = node;
        uint256 size = index + 1;
        self.size = size;
        // Fold the remaining complete subtrees (set bits of `size` above h) into the root.
        newRoot = node;
        for (uint256 j = h + 1; (size >> j) != 0;) {
            if ((size >> j) & 1 == 1) newRoot = PoseidonT3.hash([self.frontier[j], newRoot]);
            unchecked {
                ++j;
            }
        }
        self.root = newRoot;
    }

    /// @notice zk-kit's `depth`: the smallest d with 2^d ≥ size (0 for 0 or 1 leaf).
    function depth(LeanIMTAppendData storage self) internal view returns (uint256 d) {
        uint256 size = self.size;
        while ((uint256(1) << d) < size) {
            unchecked {
                ++d;
            }
        }
    }
}
