// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

/// @title TEST ONLY: a "verifier" that accepts every proof
/// @notice Used solely by the state-machine unit test named so (`..._with_an_accept_all_verifier`)
/// to reach states cheaply; every main test uses the real generated Groth16 verifiers.
contract AcceptAllVerifier {
    bytes32 public immutable VK_HASH;

    constructor(bytes32 vkHash) {
        VK_HASH = vkHash;
    }

    function verifyProof(uint256[2] calldata, uint256[2][2] calldata, uint256[2] calldata, uint256[13] calldata)
        external
        pure
        returns (bool)
    {
        return true;
    }

    function verifyProof(uint256[2] calldata, uint256[2][2] calldata, uint256[2] calldata, uint256[2] calldata)
        external
        pure
        returns (bool)
    {
        return true;
    }
}
