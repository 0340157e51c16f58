pragma circom 2.1.5;

// Rate-Limiting Nullifier pieces (PROTOCOL §4, §6 row 7, §7, D1).

include "poseidon.circom";
include "tags.circom";

// ID = H(TAG_ID, k).
template NoteId() {
    signal input k;
    signal output out;
    out <== Poseidon(2)([TAG_ID(), k]);
}

// a = H(TAG_SLOPE, k, ticket, service_id); nullifier = H(TAG_NULL, a); y = k + a·x.
// The caller range-checks `ticket` and binds `x` (and x ≠ 0 where it must).
template RlnShare() {
    signal input k;
    signal input ticket;
    signal input service_id;
    signal input x;
    signal output y;
    signal output nullifier;

    signal a <== Poseidon(4)([TAG_SLOPE(), k, ticket, service_id]);
    nullifier <== Poseidon(2)([TAG_NULL(), a]);
    y <== k + a * x;
}
