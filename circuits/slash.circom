pragma circom 2.1.5;

// ============================================================================================
// slash — knowledge of a note's secret (PROTOCOL §10).
//
// What it proves:
//   1. ID = H(TAG_ID, k) for a private k (output).
//   2. service_id is bound to the proof (square constraint, D6), so a proof for one vault is
//      not replayed on another.
//
// Public signals (D6, snarkjs order): ID (output), service_id.
//
// What the caller (the vault) must enforce: service_id = its own; status[ID] Active or Exiting.
// ============================================================================================

include "lib/rln.circom";

template Slash() {
    // ---- private input ----------------------------------------------------------------------
    signal input k;

    // ---- output (public) --------------------------------------------------------------------
    signal output ID;

    // ---- public input -----------------------------------------------------------------------
    signal input service_id;

    // Step 1.
    ID <== NoteId()(k);

    // Step 2.
    signal service_id_sq <== service_id * service_id;
}
