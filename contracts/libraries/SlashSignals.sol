// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

/// @dev Number of public signals of `slash` (file-level: usable as an array length).
uint256 constant SLASH_SIGNALS = 2;

/// @title Public signals of the `slash` circuit, in the order of decision D6: `ID, service_id`
library SlashSignals {
    uint256 private constant I_ID = 0;
    uint256 private constant I_SERVICE_ID = 1;

    function encode(uint256 id_, uint256 serviceId_) internal pure returns (uint256[SLASH_SIGNALS] memory s) {
        s[I_ID] = id_;
        s[I_SERVICE_ID] = serviceId_;
    }

    function id(uint256[SLASH_SIGNALS] memory s) internal pure returns (uint256) {
        return s[I_ID];
    }

    function serviceId(uint256[SLASH_SIGNALS] memory s) internal pure returns (uint256) {
        return s[I_SERVICE_ID];
    }
}
