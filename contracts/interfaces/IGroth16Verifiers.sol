// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

/// @title Groth16 verifier of the `withdraw` circuit (13 public signals, order of decision D6)
/// @notice Matches the snarkjs-generated `verifyProof` ABI, so `contracts/generated/WithdrawVerifier.sol`
/// is used as is: the vault stores its address, immutable.
interface IWithdrawVerifier {
    function verifyProof(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[13] calldata input
    ) external view returns (bool);
}

/// @title Groth16 verifier of the `slash` circuit (2 public signals: ID, service_id)
interface ISlashVerifier {
    function verifyProof(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[2] calldata input
    ) external view returns (bool);
}
