pragma circom 2.1.5;

// ============================================================================================
// request — one paid API call (PROTOCOL §6).
//
// What it proves (rows of the §6 table; the numbered steps below follow them):
//   1. ID = H(TAG_ID, k) and leaf = H(TAG_LEAF, ID, D, expiry) is in the LeanIMT `root` at a
//      private depth ≤ MAX_DEPTH; root ≠ 0.
//   2. today ≤ expiry.
//   3. n < 2^32; C, P, D < 2^64 (and c_max, reserve, today, expiry < 2^64 before comparing).
//   4. Solvency: C + c_max + P + reserve ≤ D.
//   5. E = n·G_n + C·G_C + P·G_P + ID·G_ID + ρ·G_H with the ID of row 1; is_genesis boolean;
//      genesis ⇒ n = C = P = 0; otherwise σ verifies under server_pk over
//      H(TAG_STATE, service_id, E.x, E.y).
//   6. E_anon = E + η·G_H with ρ, η < l.
//   7. RLN: a = H(TAG_SLOPE, k, n, service_id), nullifier = H(TAG_NULL, a), y = k + a·x, x ≠ 0.
//
// Public signals (D6, snarkjs order): y, nullifier, E_anon.x, E_anon.y (outputs), then
// root, service_id, x, c_max, reserve, server_pk.x, server_pk.y, today.
//
// What the caller (the gateway, §6 steps 1–3) must enforce: signals canonical; root a final,
// non-zero checkpoint of the vault; service_id, c_max, reserve, server_pk those of the vault;
// today the current day; x = H(pk) of the one-time key that signed the request (§8); the
// nullifier unseen (or a retry with the same x). The circuit does not check server_pk's
// subgroup (the vault does).
// ============================================================================================

include "bitify.circom";
include "comparators.circom";
include "lib/range.circom";
include "lib/rln.circom";
include "lib/membership.circom";
include "lib/state.circom";
include "lib/commitment.circom";

template Request(MAX_DEPTH) {
    // ---- private inputs ---------------------------------------------------------------------
    signal input k;                      // note secret
    signal input D;                      // deposit (accounting units)
    signal input expiry;                 // note expiry day
    signal input depth;                  // LeanIMT proof depth (≤ MAX_DEPTH)
    signal input indices[MAX_DEPTH];     // path bits (1 = node is the right child), zero-padded
    signal input siblings[MAX_DEPTH];    // path siblings, zero-padded
    signal input n;                      // tickets used
    signal input C;                      // cumulative charge
    signal input P;                      // cumulative penalties
    signal input rho;                    // blinding ρ of E
    signal input eta;                    // rerandomiser η of this call
    signal input is_genesis;             // 1 for the unsigned genesis state
    signal input sig_R8[2];              // σ.R8 (Base8 when genesis)
    signal input sig_S;                  // σ.S (0 when genesis)

    // ---- outputs (public) -------------------------------------------------------------------
    signal output y;
    signal output nullifier;
    signal output E_anon[2];

    // ---- public inputs ----------------------------------------------------------------------
    signal input root;
    signal input service_id;
    signal input x;
    signal input c_max;
    signal input reserve;
    signal input server_pk[2];
    signal input today;

    // Row 1: ID from k; leaf in root; root ≠ 0 (binds `root`).
    signal ID <== NoteId()(k);
    component member = NoteMembership(MAX_DEPTH);
    member.ID <== ID;
    member.D <== D;
    member.expiry <== expiry;
    member.depth <== depth;
    member.indices <== indices;
    member.siblings <== siblings;
    member.root <== root;

    // Row 3 (part): D, expiry, today, c_max, reserve < 2^64 (n, C, P: in SignedState).
    component dBits = Num2Bits(64);
    dBits.in <== D;
    component expiryBits = Num2Bits(64);
    expiryBits.in <== expiry;
    component todayBits = Num2Bits(64);
    todayBits.in <== today;
    component cMaxBits = Num2Bits(64);
    cMaxBits.in <== c_max;
    component reserveBits = Num2Bits(64);
    reserveBits.in <== reserve;
    // Range checks only: that the decompositions exist is the constraint, the bits are not used
    // (`_ <==` says so to circom --inspect and adds no constraint).
    _ <== dBits.out;
    _ <== expiryBits.out;
    _ <== todayBits.out;
    _ <== cMaxBits.out;
    _ <== reserveBits.out;

    // Row 2: today ≤ expiry (both < 2^64; binds `today`).
    signal notExpired <== LessEqThan(64)([today, expiry]);
    notExpired === 1;

    // Row 5 (with row 3's n < 2^32, C, P < 2^64 and ρ < l): E and σ (binds service_id,
    // server_pk).
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

    // Row 4: solvency C + c_max + P + reserve ≤ D. Every operand is < 2^64, so the sum is
    // < 2^66 and LessEqThan(66) compares exactly (binds c_max, reserve).
    signal solvent <== LessEqThan(66)([C + c_max + P + reserve, D]);
    solvent === 1;

    // Row 6: E_anon = E + η·G_H with η < l.
    component etaBits = ScalarBelowOrder();
    etaBits.in <== eta;
    component anon = Rerandomise();
    anon.point <== state.E;
    anon.eta_bits <== etaBits.bits;
    E_anon <== anon.out;

    // Row 7: RLN share of ticket n at x ≠ 0 (binds x).
    NonZero()(x);
    component rln = RlnShare();
    rln.k <== k;
    rln.ticket <== n;
    rln.service_id <== service_id;
    rln.x <== x;
    y <== rln.y;
    nullifier <== rln.nullifier;
}
