// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {ICreditVault, VaultParams} from "../interfaces/ICreditVault.sol";
import {ITokenCreditVault} from "../interfaces/ITokenCreditVault.sol";
import {CreditVault} from "./CreditVault.sol";

/// @title CreditVault over one ERC-20
/// @notice A deposit is accounted for what actually arrived (balance delta), so a fee-on-transfer
/// token is credited net of its fee; the net amount must still be a multiple of `unit`.
contract TokenCreditVault is CreditVault, ITokenCreditVault {
    using SafeERC20 for IERC20;

    IERC20 private immutable TOKEN;

    constructor(VaultParams memory p, IERC20 token) CreditVault(p) {
        if (address(token).code.length == 0) revert TokenHasNoCode(address(token));
        TOKEN = token;
    }

    /// @inheritdoc ITokenCreditVault
    function deposit(uint256 id, uint256 amount) external nonReentrant {
        uint256 before = TOKEN.balanceOf(address(this));
        TOKEN.safeTransferFrom(msg.sender, address(this), amount);
        _deposit(id, TOKEN.balanceOf(address(this)) - before);
    }

    /// @inheritdoc ICreditVault
    function asset() external view returns (address) {
        return address(TOKEN);
    }

    function _pay(address to, uint256 amount) internal override {
        TOKEN.safeTransfer(to, amount);
    }
}
