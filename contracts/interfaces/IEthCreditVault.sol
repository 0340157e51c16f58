// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

import {ICreditVault} from "./ICreditVault.sol";

/// @title A CreditVault holding native ETH
interface IEthCreditVault is ICreditVault {
    /// @notice Register note `id` with `msg.value` (a multiple of `unit`, ≥ `minDeposit` units).
    function deposit(uint256 id) external payable;
}
