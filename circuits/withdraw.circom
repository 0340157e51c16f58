pragma circom 2.1.5;

// ============================================================================================
// withdraw — exit of a note from its latest state (PROTOCOL §7).
//
// What it proves (numbered steps below):
//   1. ID = H(TAG_ID, k) (output; the contract reads D[ID] and status[ID] by it).
//   2. E and σ as in §6 row 5 for the opening (n, C, P, ID, ρ): n < 2^32, C, P < 2^64, ρ < l,
//      is_genesis boolean, genesis ⇒ n = C = P = 0, else σ valid under server_pk over
//      H(TAG_STATE, service_id, E.x, E.y).
//   3. pending ∈ {0, 1}; t = n + pending; charged = C + pending·c_max;
//      penalties = P + pending·penalty_max; c_max, penalty_max, D < 2^64; charged, penalties
//      < 2^64; charged + penalties ≤ D.
//   4. The RLN share of ticket t at x_w = H(TAG_WD, service_id): nullifier_t, y_w.
//   5. recipient is bound (square constraint); it carries no statement of its own.
//
// Public signals (D6, snarkjs order): ID, charged, penalties, nullifier_t, y_w (outputs), then
// service_id, c_max, penalty_max, server_pk.x, server_pk.y, D, recipient, pending.
//
// What the caller (the vault, §7) must enforce: service_id, c_max, penalty_max, server_pk from
// its storage; D = the stored deposit of ID; recipient a uint160 (the address paid); pending 0/1
// from the caller; status[ID] = Active and the exit-grace deadline. The gateway's watcher must
// record nullifier_t and compare the share with its store (a stale exit reveals k).
// ============================================================================================

include "bitify.circom";
include "comparators.circom";
include "poseidon.circom";
include "lib/tags.circom";
include "lib/range.circom";
include "lib/rln.circom";
include "lib/state.circom";

template Withdraw() {
    // ---- private inputs ---------------------------------------------------------------------
    signal input k;
    signal input n;
    signal input C;
    signal input P;
    signal input rho;
    signal input is_genesis;
    signal input sig_R8[2];
    signal input sig_S;

    // ---- outputs (public) -------------------------------------------------------------------
    signal output ID;
    signal output charged;
    signal output penalties;
    signal output nullifier_t;
    signal output y_w;

    // ---- public inputs ----------------------------------------------------------------------
    signal input service_id;
    signal input c_max;
    signal input penalty_max;
    signal input server_pk[2];
    signal input D;
    signal input recipient;
    signal input pending;

    // Step 1: ID.
    ID <== NoteId()(k);

    // Step 2: the state (ranges of n, C, P, ρ; E; genesis; σ). Binds service_id, server_pk.
    component state = SignedState();
    state.service_id <== service_id;
    state.server_pk <== server_pk;
    state.ID <== ID;
    state.n <== n;
    state.C <== C;
    state.P <== P;
    state.rho <== rho;
    state.is_genesis <== is_genesis;
    state.sig_R8 <== sig_R8;
    state.sig_S <== sig_S;
    // The withdrawal opens the state but never uses its anonymous point E (only a request
    // does): `_ <==` says so to circom --inspect and adds no constraint.
    _ <== state.E;

    // Step 3: the pending rule and the accounting.
    AssertBoolean()(pending);
    component cMaxBits = Num2Bits(64);
    cMaxBits.in <== c_max;
    component penaltyMaxBits = Num2Bits(64);
    penaltyMaxBits.in <== penalty_max;
    component dBits = Num2Bits(64);
    dBits.in <== D;

    signal t <== n + pending;                  // ≤ 2^32: no wrap (n < 2^32)
    charged <== C + pending * c_max;
    penalties <== P + pending * penalty_max;
    component chargedBits = Num2Bits(64);
    chargedBits.in <== charged;
    component penaltiesBits = Num2Bits(64);
    penaltiesBits.in <== penalties;
    // Range checks only: that the decompositions exist is the constraint, the bits are not used
    // (`_ <==` says so to circom --inspect and adds no constraint).
    _ <== cMaxBits.out;
    _ <== penaltyMaxBits.out;
    _ <== dBits.out;
    _ <== chargedBits.out;
    _ <== penaltiesBits.out;
    // charged, penalties < 2^64, so their sum is < 2^65: LessEqThan(65) compares exactly.
    signal covered <== LessEqThan(65)([charged + penalties, D]);
    covered === 1;

    // Step 4: RLN share of ticket t at x_w = H(TAG_WD, service_id).
    signal x_w <== Poseidon(2)([TAG_WD(), service_id]);
    component rln = RlnShare();
    rln.k <== k;
    rln.ticket <== t;
    rln.service_id <== service_id;
    rln.x <== x_w;
    nullifier_t <== rln.nullifier;
    y_w <== rln.y;

    // Step 5: bind recipient (D6: a square constraint).
    signal recipient_sq <== recipient * recipient;
}
