// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

/// @title The BN254 scalar field F_p (PROTOCOL §2)
library Field {
    /// @notice p, the order of the BN254 scalar field (the SNARK field).
    uint256 internal constant P = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
}
