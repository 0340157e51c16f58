pragma circom 2.1.5;

// The signed (or genesis) private state of a note: PROTOCOL §6 row 3 (ranges of n, C, P) and
// row 5, shared by `request` and `withdraw` (§7 "E and σ as in row 5").

include "bitify.circom";
include "babyjub.circom";
include "poseidon.circom";
include "eddsaposeidon.circom";
include "tags.circom";
include "range.circom";
include "commitment.circom";

// Proves, for the opening (n, C, P, ID, ρ):
//   - ranges: n < 2^32, C < 2^64, P < 2^64, ρ < l, ID a canonical field element (bits with the
//     aliasing check), so the opening is canonical (D3);
//   - E = n·G_n + C·G_C + P·G_P + ID·G_ID + ρ·G_H  (output E);
//   - is_genesis ∈ {0, 1}; is_genesis = 1 ⇒ n = C = P = 0;
//   - is_genesis = 0 ⇒ σ = (R8, S) is a valid EdDSA-Poseidon signature (D4) under server_pk of
//     msg = H(TAG_STATE, service_id, E.x, E.y). circomlib's verifier checks S < l and 8·A ≠ O;
//     we add that R8 and server_pk lie on the curve (D4). With is_genesis = 1 the verifier is
//     disabled (enabled = 0) and any on-curve R8 with S < 2^253 satisfies it (the client uses
//     R8 = Base8, S = 0).
// The caller must: bind service_id and server_pk (public inputs the gateway/contract checks
// against the vault; the contract checks server_pk is in the order-l subgroup) and derive ID
// from k itself (so the state is bound to its note).
template SignedState() {
    signal input service_id;
    signal input server_pk[2];
    signal input ID;
    signal input n;
    signal input C;
    signal input P;
    signal input rho;
    signal input is_genesis;
    signal input sig_R8[2];
    signal input sig_S;
    signal output E[2];

    // Ranges (row 3; D3). The bit decompositions are reused as the scalars of the commitment.
    component nBits = Num2Bits(32);
    nBits.in <== n;
    component cBits = Num2Bits(64);
    cBits.in <== C;
    component pBits = Num2Bits(64);
    pBits.in <== P;
    component idBits = Num2Bits_strict();
    idBits.in <== ID;
    component rhoBits = ScalarBelowOrder();
    rhoBits.in <== rho;

    // E (§5).
    component commitment = StateCommitment();
    commitment.n_bits <== nBits.out;
    commitment.C_bits <== cBits.out;
    commitment.P_bits <== pBits.out;
    commitment.ID_bits <== idBits.out;
    commitment.rho_bits <== rhoBits.bits;
    E <== commitment.out;

    // Genesis (row 5): boolean, and genesis ⇒ n = C = P = 0.
    AssertBoolean()(is_genesis);
    is_genesis * n === 0;
    is_genesis * C === 0;
    is_genesis * P === 0;

    // Signature (row 5), required unless genesis.
    BabyCheck()(sig_R8[0], sig_R8[1]);
    BabyCheck()(server_pk[0], server_pk[1]);
    signal msg <== Poseidon(4)([TAG_STATE(), service_id, E[0], E[1]]);
    component eddsa = EdDSAPoseidonVerifier();
    eddsa.enabled <== 1 - is_genesis;
    eddsa.Ax <== server_pk[0];
    eddsa.Ay <== server_pk[1];
    eddsa.S <== sig_S;
    eddsa.R8x <== sig_R8[0];
    eddsa.R8y <== sig_R8[1];
    eddsa.M <== msg;
}
