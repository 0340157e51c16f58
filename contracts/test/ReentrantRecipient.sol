// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

import {ICreditVault} from "../interfaces/ICreditVault.sol";

/// @title TEST ONLY: a recipient that tries to re-enter the vault when paid
/// @notice On receiving ETH it calls `withdrawOwed` again and records whether that succeeded;
/// it swallows the failure so the outer payment can complete.
contract ReentrantRecipient {
    ICreditVault public vault;
    uint256 public reentryAttempts;
    uint256 public reentrySuccesses;
    bytes public lastRevert;

    function pull(ICreditVault vault_) external {
        vault = vault_;
        vault_.withdrawOwed();
    }

    receive() external payable {
        reentryAttempts += 1;
        try vault.withdrawOwed() {
            reentrySuccesses += 1;
        } catch (bytes memory reason) {
            lastRevert = reason;
        }
    }
}
