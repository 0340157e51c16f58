pragma circom 2.1.5;

// Range checks used before every comparison and every scalar multiplication (PROTOCOL §2, D3).

include "bitify.circom";
include "generators.circom";

// Bits of a scalar of Baby Jubjub's prime subgroup: proves 0 ≤ in < l and outputs its 251 bits.
//
// l < 2^251, so Num2Bits(251) first proves in < 2^251. Then in < l  ⇔  l − 1 − in ∈ [0, 2^251):
// for in ≤ l − 1 the gap is in [0, l); for l ≤ in < 2^251 the gap is negative, i.e. the field
// element p − (in − l + 1) ≥ p − 2^251 > 2^251, which no 251-bit decomposition can represent
// (Num2Bits(251) cannot wrap: 2^251 < p).
template ScalarBelowOrder() {
    signal input in;
    signal output bits[251];

    component value = Num2Bits(251);
    value.in <== in;
    bits <== value.out;

    component gap = Num2Bits(251);
    gap.in <== SUBGROUP_ORDER() - 1 - in;
    // The gap's bits are not used: its decomposition existing is the range check (in < l).
    // `_ <==` tells circom --inspect so; it adds no constraint.
    _ <== gap.out;
}

// 1/in exists: proves in ≠ 0 (one constraint).
template NonZero() {
    signal input in;
    // `<--` justified: inv is a free hint; the constraint below holds for some inv iff in ≠ 0.
    signal inv <-- in != 0 ? 1 / in : 0;
    in * inv === 1;
}

// Constrains `in` to {0, 1}.
template AssertBoolean() {
    signal input in;
    in * (in - 1) === 0;
}
