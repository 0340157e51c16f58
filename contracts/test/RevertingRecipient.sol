// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

import {ICreditVault} from "../interfaces/ICreditVault.sol";

/// @title TEST ONLY: an account that refuses every ETH payment but can still pull to elsewhere
contract RevertingRecipient {
    error Refused();

    receive() external payable {
        revert Refused();
    }

    function pull(ICreditVault vault) external {
        vault.withdrawOwed();
    }

    function pullTo(ICreditVault vault, address to) external {
        vault.withdrawOwedTo(to);
    }
}
