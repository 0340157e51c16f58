// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

import {ICreditVault} from "./ICreditVault.sol";

/// @title A CreditVault holding one ERC-20
interface ITokenCreditVault is ICreditVault {
    /// @notice Pull `amount` of the token from the caller (approve first) and register note `id`
    /// with what actually arrived (balance delta), which must be a multiple of `unit`.
    function deposit(uint256 id, uint256 amount) external;
}
