// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

import {Tags} from "../libraries/Tags.sol";

/// @title TEST ONLY: exposes the Solidity tag table (D1) for the cross-language check
contract TagsProbe {
    function tags() external pure returns (uint256[8] memory) {
        return [Tags.ID, Tags.LEAF, Tags.SLOPE, Tags.NULL, Tags.STATE, Tags.MSG, Tags.WD, Tags.ETA];
    }
}
