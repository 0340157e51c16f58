// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

/// @title Domain tags of decision D1 (docs/protocol-decisions.md)
/// @notice Every Poseidon hash that is not a Merkle node starts with one of these tags. The same
/// table exists in Python (`prover/crypto/tags.py`) and circom (`circuits/lib/tags.circom`);
/// a test checks that the three agree.
library Tags {
    uint256 internal constant ID = 1;
    uint256 internal constant LEAF = 2;
    uint256 internal constant SLOPE = 3;
    uint256 internal constant NULL = 4;
    uint256 internal constant STATE = 5;
    uint256 internal constant MSG = 6;
    uint256 internal constant WD = 7;
    uint256 internal constant ETA = 8;
}
