pragma circom 2.1.5;

// State commitment of PROTOCOL §5 / D3:  E = n·G_n + C·G_C + P·G_P + ID·G_ID + ρ·G_H.

include "babyjub.circom";
include "escalarmulfix.circom";
include "generators.circom";

// Sum of the five fixed-base products. Takes the scalars as little-endian bits: the caller has
// range-checked them (n < 2^32, C, P < 2^64, ID a full field element by Num2Bits_strict,
// ρ < l by ScalarBelowOrder), so each EscalarMulFix uses the smallest width that fits.
// circomlib's EscalarMulFix is exact for every bit string of its width (its adders never see
// equal or zero inputs, see escalarmulfix.circom) and BabyAdd is complete on Baby Jubjub.
template StateCommitment() {
    signal input n_bits[32];
    signal input C_bits[64];
    signal input P_bits[64];
    signal input ID_bits[254];
    signal input rho_bits[251];
    signal output out[2];

    component nG = EscalarMulFix(32, GEN_N());
    nG.e <== n_bits;
    component cG = EscalarMulFix(64, GEN_C());
    cG.e <== C_bits;
    component pG = EscalarMulFix(64, GEN_P());
    pG.e <== P_bits;
    component idG = EscalarMulFix(254, GEN_ID());
    idG.e <== ID_bits;
    component rhoG = EscalarMulFix(251, GEN_H());
    rhoG.e <== rho_bits;

    component s1 = BabyAdd();
    s1.x1 <== nG.out[0];
    s1.y1 <== nG.out[1];
    s1.x2 <== cG.out[0];
    s1.y2 <== cG.out[1];
    component s2 = BabyAdd();
    s2.x1 <== s1.xout;
    s2.y1 <== s1.yout;
    s2.x2 <== pG.out[0];
    s2.y2 <== pG.out[1];
    component s3 = BabyAdd();
    s3.x1 <== s2.xout;
    s3.y1 <== s2.yout;
    s3.x2 <== idG.out[0];
    s3.y2 <== idG.out[1];
    component s4 = BabyAdd();
    s4.x1 <== s3.xout;
    s4.y1 <== s3.yout;
    s4.x2 <== rhoG.out[0];
    s4.y2 <== rhoG.out[1];

    out[0] <== s4.xout;
    out[1] <== s4.yout;
}

// out = point + η·G_H (the rerandomisation of §6 row 6); η given as its 251 bits (η < l).
template Rerandomise() {
    signal input point[2];
    signal input eta_bits[251];
    signal output out[2];

    component etaG = EscalarMulFix(251, GEN_H());
    etaG.e <== eta_bits;

    component sum = BabyAdd();
    sum.x1 <== point[0];
    sum.y1 <== point[1];
    sum.x2 <== etaG.out[0];
    sum.y2 <== etaG.out[1];
    out[0] <== sum.xout;
    out[1] <== sum.yout;
}
