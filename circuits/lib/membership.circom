pragma circom 2.1.5;

// Note membership of PROTOCOL §6 row 1 / D7: leaf = H(TAG_LEAF, ID, D, expiry) is in `root`.

include "poseidon.circom";
include "binary-merkle-root.circom";
include "tags.circom";
include "range.circom";

// Proves leaf = H(TAG_LEAF, ID, D, expiry) lies in the LeanIMT with root `root` at a private
// depth ≤ MAX_DEPTH, and root ≠ 0.
//   - zk-kit's BinaryMerkleRoot does not constrain `indices`; a non-boolean index would turn its
//     Mux1 into an arbitrary linear combination of node and sibling, so every index is
//     constrained boolean here (padding levels too: the client pads with 0).
//   - BinaryMerkleRoot outputs 0 when depth ∉ [0, MAX_DEPTH] (no level matches); with root ≠ 0
//     and root = output, a depth above MAX_DEPTH cannot satisfy the circuit.
// The caller must: range-check D and expiry if it compares them; the gateway must accept `root`
// only as a final, non-zero checkpoint of the vault (§11).
template NoteMembership(MAX_DEPTH) {
    signal input ID;
    signal input D;
    signal input expiry;
    signal input depth;
    signal input indices[MAX_DEPTH];
    signal input siblings[MAX_DEPTH];
    signal input root;

    for (var i = 0; i < MAX_DEPTH; i++) {
        AssertBoolean()(indices[i]);
    }

    signal leaf <== Poseidon(4)([TAG_LEAF(), ID, D, expiry]);
    signal computed <== BinaryMerkleRoot(MAX_DEPTH)(leaf, depth, indices, siblings);
    computed === root;
    NonZero()(root);
}
