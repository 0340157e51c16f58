// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

/// @dev Number of public signals of `withdraw` (file-level: usable as an array length).
uint256 constant WITHDRAW_SIGNALS = 13;

/// @title Public signals of the `withdraw` circuit, in the order of decision D6
/// @notice `ID, charged, penalties, nullifier_t, y_w` (outputs), then `service_id, c_max,
/// penalty_max, server_pk.x, server_pk.y, D, recipient, pending` (inputs). Contracts read and
/// write them only through these named accessors.
library WithdrawSignals {
    uint256 private constant I_ID = 0;
    uint256 private constant I_CHARGED = 1;
    uint256 private constant I_PENALTIES = 2;
    uint256 private constant I_NULLIFIER_T = 3;
    uint256 private constant I_Y_W = 4;
    uint256 private constant I_SERVICE_ID = 5;
    uint256 private constant I_C_MAX = 6;
    uint256 private constant I_PENALTY_MAX = 7;
    uint256 private constant I_SERVER_PK_X = 8;
    uint256 private constant I_SERVER_PK_Y = 9;
    uint256 private constant I_DEPOSIT = 10;
    uint256 private constant I_RECIPIENT = 11;
    uint256 private constant I_PENDING = 12;

    struct Inputs {
        uint256 id;
        uint256 charged;
        uint256 penalties;
        uint256 nullifierT;
        uint256 yW;
        uint256 serviceId;
        uint256 cMax;
        uint256 penaltyMax;
        uint256 serverPkX;
        uint256 serverPkY;
        uint256 deposit;
        address recipient;
        bool pending;
    }

    /// @notice Lay out the signals in circuit order.
    function encode(Inputs memory v) internal pure returns (uint256[WITHDRAW_SIGNALS] memory s) {
        s[I_ID] = v.id;
        s[I_CHARGED] = v.charged;
        s[I_PENALTIES] = v.penalties;
        s[I_NULLIFIER_T] = v.nullifierT;
        s[I_Y_W] = v.yW;
        s[I_SERVICE_ID] = v.serviceId;
        s[I_C_MAX] = v.cMax;
        s[I_PENALTY_MAX] = v.penaltyMax;
        s[I_SERVER_PK_X] = v.serverPkX;
        s[I_SERVER_PK_Y] = v.serverPkY;
        s[I_DEPOSIT] = v.deposit;
        s[I_RECIPIENT] = uint256(uint160(v.recipient));
        s[I_PENDING] = v.pending ? 1 : 0;
    }

    function id(uint256[WITHDRAW_SIGNALS] memory s) internal pure returns (uint256) {
        return s[I_ID];
    }

    function charged(uint256[WITHDRAW_SIGNALS] memory s) internal pure returns (uint256) {
        return s[I_CHARGED];
    }

    function penalties(uint256[WITHDRAW_SIGNALS] memory s) internal pure returns (uint256) {
        return s[I_PENALTIES];
    }

    function nullifierT(uint256[WITHDRAW_SIGNALS] memory s) internal pure returns (uint256) {
        return s[I_NULLIFIER_T];
    }

    function yW(uint256[WITHDRAW_SIGNALS] memory s) internal pure returns (uint256) {
        return s[I_Y_W];
    }

    function serviceId(uint256[WITHDRAW_SIGNALS] memory s) internal pure returns (uint256) {
        return s[I_SERVICE_ID];
    }

    function deposit(uint256[WITHDRAW_SIGNALS] memory s) internal pure returns (uint256) {
        return s[I_DEPOSIT];
    }

    function recipient(uint256[WITHDRAW_SIGNALS] memory s) internal pure returns (address) {
        return address(uint160(s[I_RECIPIENT]));
    }

    function pending(uint256[WITHDRAW_SIGNALS] memory s) internal pure returns (bool) {
        return s[I_PENDING] == 1;
    }
}
