// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

import {InternalLeanIMT, LeanIMTData} from "@zk-kit/lean-imt.sol/InternalLeanIMT.sol";
import {LeanIMTAppend, LeanIMTAppendData} from "../libraries/LeanIMTAppend.sol";

/// @title TEST ONLY: zk-kit's LeanIMT and the vault's append-only LeanIMT side by side
contract LeanIMTReference {
    using InternalLeanIMT for LeanIMTData;

    LeanIMTData private _zkkit;
    LeanIMTAppendData private _append;

    error RootsDiffer(uint256 zkkit, uint256 appendOnly);
    error DepthsDiffer(uint256 zkkit, uint256 appendOnly);

    /// @notice Insert the same leaves into both trees; revert at the first disagreement.
    function insertBoth(uint256[] calldata leaves) external {
        for (uint256 i = 0; i < leaves.length; ++i) {
            uint256 a = _zkkit._insert(leaves[i]);
            (, uint256 b) = LeanIMTAppend.append(_append, leaves[i]);
            if (a != b) revert RootsDiffer(a, b);
            if (_zkkit.depth != LeanIMTAppend.depth(_append)) {
                revert DepthsDiffer(_zkkit.depth, LeanIMTAppend.depth(_append));
            }
        }
    }

    function roots() external view returns (uint256 zkkit, uint256 appendOnly) {
        return (_zkkit._root(), _append.root);
    }
}
