// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

import {ICreditVault, VaultParams} from "../interfaces/ICreditVault.sol";
import {IEthCreditVault} from "../interfaces/IEthCreditVault.sol";
import {CreditVault} from "./CreditVault.sol";

/// @title CreditVault over native ETH
/// @notice No `receive`/`fallback`: plain transfers are refused, value only enters by `deposit`.
contract EthCreditVault is CreditVault, IEthCreditVault {
    constructor(VaultParams memory p) CreditVault(p) {}

    /// @inheritdoc IEthCreditVault
    function deposit(uint256 id) external payable nonReentrant {
        _deposit(id, msg.value);
    }

    /// @inheritdoc ICreditVault
    function asset() external pure returns (address) {
        return address(0);
    }

    function _pay(address to, uint256 amount) internal override {
        (bool ok,) = payable(to).call{value: amount}("");
        if (!ok) revert PaymentFailed(to, amount);
    }
}
