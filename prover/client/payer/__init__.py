"""The payer: paying one API call on one note (ticket, proof, send, settle)."""
