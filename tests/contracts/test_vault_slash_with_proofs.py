"""slash(proof, ID) of PROTOCOL §10 with Groth16 proofs checked by the deployed verifier."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prover.chain.vault import CreditVaultClient, NoteStatus
from prover.crypto.rln import note_id

from .vault_setup import DAY, GWEI, D, reverts_with

K = 0x5EC2E7
NID = note_id(K)


def test_a_slash_of_an_active_note_pays_the_whole_deposit_to_the_treasury(
    proof_vault: CreditVaultClient, proofs: Any, alice: str, carol: str, treasury: str
) -> None:
    proof_vault.deposit(NID, D * GWEI, sender=alice)
    proof = proofs.slash(K, proof_vault.service_id())
    receipt = proof_vault.slash_with_signals(proof.calldata, proof.signals, sender=carol)
    assert proof_vault.events("Slashed", receipt) == [
        {"id": NID, "exitCancelled": False, "amount": D * GWEI}
    ]
    assert proof_vault.note(NID).status == NoteStatus.SLASHED
    assert proof_vault.owed(treasury) == D * GWEI
    assert proof_vault.owed(carol) == 0  # no slasher bounty
    assert receipt.gas_used < 300_000


def test_a_slash_inside_the_exit_window_cancels_the_exit_and_pays_the_treasury(
    proof_vault: CreditVaultClient,
    proofs: Any,
    deposit_and_exit: Callable[..., Any],
    bob: str,
    carol: str,
    treasury: str,
    dev: Any,
) -> None:
    deposit_and_exit(proof_vault, K, bob, sender=bob)
    dev.advance(2 * DAY - 60)  # still inside the window
    sl = proofs.slash(K, proof_vault.service_id())
    receipt = proof_vault.slash_with_signals(sl.calldata, sl.signals, sender=carol)
    assert proof_vault.events("Slashed", receipt)[0]["exitCancelled"] is True
    dev.advance(120)
    with reverts_with("NoteNotExiting"):
        proof_vault.finalize_withdrawal(NID, sender=bob)
    assert (proof_vault.owed(treasury), proof_vault.owed(bob)) == (D * GWEI, 0)
    with reverts_with("NoteNotSlashable"):
        proof_vault.slash_with_signals(sl.calldata, sl.signals, sender=carol)


def test_a_slash_proof_for_another_note_or_vault_is_rejected(
    proof_vault: CreditVaultClient, proofs: Any, alice: str, carol: str
) -> None:
    other = note_id(K + 1)
    proof_vault.deposit(NID, D * GWEI, sender=alice)
    proof_vault.deposit(other, D * GWEI, sender=alice)
    sid = proof_vault.service_id()
    proof = proofs.slash(K, sid)
    with reverts_with("InvalidSlashProof"):
        proof_vault.slash(proof.calldata, other, sender=carol)
    foreign = proofs.slash(K, (sid + 1) % (2**254))
    with reverts_with("InvalidSlashProof"):
        proof_vault.slash(foreign.calldata, NID, sender=carol)
    with reverts_with("InvalidSlashProof"):
        proof_vault.slash(bytes(range(256)), NID, sender=carol)
    assert proof_vault.note(NID).status == NoteStatus.ACTIVE


def test_a_closed_note_cannot_be_slashed(
    proof_vault: CreditVaultClient,
    proofs: Any,
    deposit_and_exit: Callable[..., Any],
    bob: str,
    carol: str,
    dev: Any,
) -> None:
    deposit_and_exit(proof_vault, K, bob, sender=bob)
    dev.advance(2 * DAY)
    proof_vault.finalize_withdrawal(NID, sender=bob)
    sl = proofs.slash(K, proof_vault.service_id())
    with reverts_with("NoteNotSlashable") as err:
        proof_vault.slash_with_signals(sl.calldata, sl.signals, sender=carol)
    assert err.args == (NID, NoteStatus.CLOSED)
