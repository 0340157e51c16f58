// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

/// @notice poseidon-solidity's PoseidonT3 as deployed for the vault: its `hash` is `public pure`,
/// so the same library code is called at its address, as a classic tree calls its hasher.
interface IPoseidonT3 {
    function hash(uint256[2] memory input) external pure returns (uint256);
}

/// @title TEST ONLY: the classic fixed-depth incremental Merkle tree, the gas benchmark's reference
/// @notice The design the vault's append-only LeanIMT is measured against (bench/gas.py): depth
/// fixed at `LEVELS` (the vault's MAX_DEPTH), empty leaves are 0, `zeros(i)` is the root of an
/// empty subtree of height i (hard-coded), `filledSubtrees[i]` the last left node written at
/// height i, and a ring of `ROOT_HISTORY` recent roots. Every insert hashes exactly `LEVELS`
/// times with `node = Poseidon(left, right)`, the vault's node hash; leaves are given as they are.
/// Storage layout (bench/fixed_tree.py writes it): slot 0 packs `nextIndex` (low 32 bits) and
/// `currentRootIndex` (next 32 bits), slots 1..20 `filledSubtrees`, slots 21..50 `roots`.
contract FixedDepthMerkleTree {
    uint256 public constant LEVELS = 20;
    uint256 public constant ROOT_HISTORY = 30;

    IPoseidonT3 public immutable hasher;

    uint32 public nextIndex;
    uint32 public currentRootIndex;
    uint256[LEVELS] public filledSubtrees;
    uint256[ROOT_HISTORY] public roots;

    error TreeFull(uint256 capacity);
    error NoSuchLevel(uint256 level);

    constructor(IPoseidonT3 hasher_) {
        hasher = hasher_;
        for (uint256 i = 0; i < LEVELS; ++i) {
            filledSubtrees[i] = zeros(i);
        }
        roots[0] = zeros(LEVELS);
    }

    /// @notice Append `leaf`; returns its index and the new root.
    function insert(uint256 leaf) external returns (uint256 index, uint256 root) {
        index = nextIndex;
        if (index >= (uint256(1) << LEVELS)) revert TreeFull(uint256(1) << LEVELS);
        uint256 path = index;
        root = leaf;
        for (uint256 level = 0; level < LEVELS; ++level) {
            if (path & 1 == 0) {
                // Left child: remember it for the right sibling to come; pair it with emptiness.
                filledSubtrees[level] = root;
                root = hasher.hash([root, zeros(level)]);
            } else {
                root = hasher.hash([filledSubtrees[level], root]);
            }
            path >>= 1;
        }
        uint32 slot = uint32((uint256(currentRootIndex) + 1) % ROOT_HISTORY);
        currentRootIndex = slot;
        roots[slot] = root;
        nextIndex = uint32(index + 1);
    }

    function lastRoot() external view returns (uint256) {
        return roots[currentRootIndex];
    }

    /// @notice Whether `root` is one of the last `ROOT_HISTORY` roots (the empty root included
    /// until it is overwritten).
    function isKnownRoot(uint256 root) external view returns (bool) {
        uint256 i = currentRootIndex;
        for (uint256 n = 0; n < ROOT_HISTORY; ++n) {
            if (roots[i] == root) return true;
            i = i == 0 ? ROOT_HISTORY - 1 : i - 1;
        }
        return false;
    }

    /// @notice Root of an empty subtree of height `level`: 0, then Poseidon(z, z) upwards.
    function zeros(uint256 level) public pure returns (uint256) {
        if (level == 0) return 0;
        if (level == 1) return 0x2098f5fb9e239eab3ceac3f27b81e481dc3124d55ffed523a839ee8446b64864;
        if (level == 2) return 0x1069673dcdb12263df301a6ff584a7ec261a44cb9dc68df067a4774460b1f1e1;
        if (level == 3) return 0x18f43331537ee2af2e3d758d50f72106467c6eea50371dd528d57eb2b856d238;
        if (level == 4) return 0x07f9d837cb17b0d36320ffe93ba52345f1b728571a568265caac97559dbc952a;
        if (level == 5) return 0x2b94cf5e8746b3f5c9631f4c5df32907a699c58c94b2ad4d7b5cec1639183f55;
        if (level == 6) return 0x2dee93c5a666459646ea7d22cca9e1bcfed71e6951b953611d11dda32ea09d78;
        if (level == 7) return 0x078295e5a22b84e982cf601eb639597b8b0515a88cb5ac7fa8a4aabe3c87349d;
        if (level == 8) return 0x2fa5e5f18f6027a6501bec864564472a616b2e274a41211a444cbe3a99f3cc61;
        if (level == 9) return 0x0e884376d0d8fd21ecb780389e941f66e45e7acce3e228ab3e2156a614fcd747;
        if (level == 10) return 0x1b7201da72494f1e28717ad1a52eb469f95892f957713533de6175e5da190af2;
        if (level == 11) return 0x1f8d8822725e36385200c0b201249819a6e6e1e4650808b5bebc6bface7d7636;
        if (level == 12) return 0x2c5d82f66c914bafb9701589ba8cfcfb6162b0a12acf88a8d0879a0471b5f85a;
        if (level == 13) return 0x14c54148a0940bb820957f5adf3fa1134ef5c4aaa113f4646458f270e0bfbfd0;
        if (level == 14) return 0x190d33b12f986f961e10c0ee44d8b9af11be25588cad89d416118e4bf4ebe80c;
        if (level == 15) return 0x22f98aa9ce704152ac17354914ad73ed1167ae6596af510aa5b3649325e06c92;
        if (level == 16) return 0x2a7c7c9b6ce5880b9f6f228d72bf6a575a526f29c66ecceef8b753d38bba7323;
        if (level == 17) return 0x2e8186e558698ec1c67af9c14d463ffc470043c9c2988b954d75dd643f36b992;
        if (level == 18) return 0x0f57c5571e9a4eab49e2c8cf050dae948aef6ead647392273546249d1c1ff10f;
        if (level == 19) return 0x1830ee67b5fb554ad5f63d4388800e1cfe78e310697d46e43c9ce36134f72cca;
        if (level == 20) return 0x2134e76ac5d21aab186c2be1dd8f84ee880a1e46eaf712f9d371b6df22191f3e;
        revert NoSuchLevel(level);
    }
}
