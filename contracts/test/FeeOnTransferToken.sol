// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title TEST ONLY: an ERC-20 that burns a fixed fee from every transfer (fee 0: a plain token)
/// @notice The recipient receives `amount - fee` (minting and burning are fee-free).
contract FeeOnTransferToken is ERC20 {
    uint256 public immutable fee;

    constructor(uint256 fee_) ERC20("Fee Token", "FEE") {
        fee = fee_;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 amount) internal override {
        if (from == address(0) || to == address(0) || fee == 0) {
            super._update(from, to, amount);
            return;
        }
        uint256 charged = fee < amount ? fee : amount;
        super._update(from, address(0), charged);
        super._update(from, to, amount - charged);
    }
}
