// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

import {Field} from "./Field.sol";

/// @title Baby Jubjub checks (circomlib curve, decision D2)
/// @notice Twisted Edwards curve a·x² + y² = 1 + d·x²·y² over F_p with a = 168700, d = 168696.
/// Used once, in the vault constructor, to check the gateway's state-signing key: on the curve,
/// not the identity, and of order L (L·P = identity). Arithmetic runs in extended coordinates
/// (X:Y:Z:T) with the unified add-2008-hwcd / dbl-2008-hwcd formulas, so no inversion is needed.
library BabyJubJub {
    uint256 internal constant A = 168700;
    uint256 internal constant D = 168696;
    /// @notice Order of the prime subgroup (circomlib `subOrder`).
    uint256 internal constant L = 2736030358979909402780800718157159386076813972158567259200215660948447373041;

    uint256 private constant P = Field.P;

    /// @notice True iff (x, y) are canonical and satisfy the curve equation.
    function isOnCurve(uint256 x, uint256 y) internal pure returns (bool) {
        if (x >= P || y >= P) return false;
        uint256 x2 = mulmod(x, x, P);
        uint256 y2 = mulmod(y, y, P);
        uint256 lhs = addmod(mulmod(A, x2, P), y2, P);
        uint256 rhs = addmod(1, mulmod(mulmod(D, x2, P), y2, P), P);
        return lhs == rhs;
    }

    /// @notice True iff L·(x, y) is the identity. Assumes (x, y) is on the curve.
    function hasOrderDividingL(uint256 x, uint256 y) internal pure returns (bool) {
        (uint256 rx, uint256 ry, uint256 rz) = mulByL(x, y);
        return rz != 0 && rx == 0 && ry == rz;
    }

    /// @dev L·(x, y) in projective form (X, Y, Z); MSB-first double-and-add.
    function mulByL(uint256 x, uint256 y) private pure returns (uint256, uint256, uint256) {
        uint256[4] memory acc = [uint256(0), 1, 1, 0];
        uint256[4] memory base = [x, y, 1, mulmod(x, y, P)];
        for (uint256 i = 252; i > 0;) {
            unchecked {
                --i;
            }
            acc = dbl(acc);
            if ((L >> i) & 1 == 1) acc = add(acc, base);
        }
        return (acc[0], acc[1], acc[2]);
    }

    function add(uint256[4] memory p1, uint256[4] memory p2) private pure returns (uint256[4] memory r) {
        uint256 a = mulmod(p1[0], p2[0], P);
        uint256 b = mulmod(p1[1], p2[1], P);
        uint256 c = mulmod(mulmod(D, p1[3], P), p2[3], P);
        uint256 dd = mulmod(p1[2], p2[2], P);
        uint256 e = mulmod(addmod(p1[0], p1[1], P), addmod(p2[0], p2[1], P), P);
        e = addmod(e, P - addmod(a, b, P), P);
        uint256 f = addmod(dd, P - c, P);
        uint256 g = addmod(dd, c, P);
        uint256 h = addmod(b, P - mulmod(A, a, P), P);
        r[0] = mulmod(e, f, P);
        r[1] = mulmod(g, h, P);
        r[2] = mulmod(f, g, P);
        r[3] = mulmod(e, h, P);
    }

    function dbl(uint256[4] memory p1) private pure returns (uint256[4] memory r) {
        uint256 a = mulmod(p1[0], p1[0], P);
        uint256 b = mulmod(p1[1], p1[1], P);
        uint256 c = mulmod(2, mulmod(p1[2], p1[2], P), P);
        uint256 da = mulmod(A, a, P);
        uint256 s = addmod(p1[0], p1[1], P);
        uint256 e = addmod(mulmod(s, s, P), P - addmod(a, b, P), P);
        uint256 g = addmod(da, b, P);
        uint256 f = addmod(g, P - c, P);
        uint256 h = addmod(da, P - b, P);
        r[0] = mulmod(e, f, P);
        r[1] = mulmod(g, h, P);
        r[2] = mulmod(f, g, P);
        r[3] = mulmod(e, h, P);
    }
}
