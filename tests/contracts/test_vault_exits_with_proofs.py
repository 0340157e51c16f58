"""requestWithdrawal / finalizeWithdrawal with Groth16 proofs checked by the deployed verifier."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prover.chain.signals import WithdrawSignals
from prover.chain.tx import send
from prover.chain.vault import CreditVaultClient, NoteStatus
from prover.crypto.rln import note_id, nullifier, share, slope, withdrawal_point

from .vault_setup import DAY, GWEI, D, reverts_with

K = 0xC0FFEE
NID = note_id(K)


def test_a_valid_withdraw_proof_starts_an_exit_whose_share_is_the_next_ticket(
    proof_vault: CreditVaultClient, deposit_and_exit: Callable[..., Any], bob: str, carol: str
) -> None:
    _proof, receipt = deposit_and_exit(proof_vault, K, bob, sender=carol)
    (event,) = proof_vault.events("WithdrawalRequested", receipt)
    sid = proof_vault.service_id()
    a = slope(K, 0, sid)
    assert event["id"] == NID and event["recipient"] == bob and event["pending"] is False
    assert event["nullifierT"] == nullifier(a)
    assert event["yW"] == share(K, a, withdrawal_point(sid))
    assert (event["charged"], event["penalties"]) == (0, 0)
    assert proof_vault.note(NID).status == NoteStatus.EXITING
    assert receipt.gas_used < 350_000


def test_a_copied_withdraw_request_can_only_pay_the_proven_recipient(
    w3: Any,
    proof_vault: CreditVaultClient,
    withdraw_proof: Callable[..., Any],
    alice: str,
    bob: str,
    carol: str,
    dev: Any,
) -> None:
    proof_vault.deposit(NID, D * GWEI, sender=alice)
    proof = withdraw_proof(proof_vault, K, bob)
    s = WithdrawSignals.from_list(proof.signals)
    outputs = (s.charged, s.penalties, s.nullifier_t, s.y_w)
    # A front-runner (carol) redirecting the payout to herself fails verification ...
    with reverts_with("InvalidWithdrawProof"):
        proof_vault.request_withdrawal_raw(proof.calldata, NID, carol, False, outputs, sender=carol)
    # ... and replaying the call verbatim pays bob, not her.
    proof_vault.request_withdrawal(proof.calldata, proof.signals, sender=carol)
    dev.advance(2 * DAY)
    proof_vault.finalize_withdrawal(NID, sender=carol)
    assert proof_vault.owed(bob) == D * GWEI
    assert proof_vault.owed(carol) == 0
    before = w3.eth.get_balance(bob)
    receipt = proof_vault.withdraw_owed(sender=bob)
    gas_cost = receipt.gas_used * w3.eth.get_transaction(receipt.tx_hash)["gasPrice"]
    assert w3.eth.get_balance(bob) - before == D * GWEI - gas_cost


def test_every_public_signal_is_bound_by_the_proof(
    proof_vault: CreditVaultClient, withdraw_proof: Callable[..., Any], alice: str, bob: str
) -> None:
    other = note_id(K + 1)
    proof_vault.deposit(NID, D * GWEI, sender=alice)
    proof_vault.deposit(other, D * GWEI, sender=alice)
    proof = withdraw_proof(proof_vault, K, bob)
    s = WithdrawSignals.from_list(proof.signals)
    good = (s.charged, s.penalties, s.nullifier_t, s.y_w)
    tampered = [
        (NID, True, good),  # pending flipped
        (NID, False, (s.charged + 1, *good[1:])),
        (NID, False, (s.charged, s.penalties + 1, *good[2:])),
        (NID, False, (*good[:2], (s.nullifier_t + 1), s.y_w)),
        (NID, False, (*good[:3], s.y_w + 1)),
        (other, False, good),  # another note (same D)
    ]
    for note, pending, outputs in tampered:
        with reverts_with("InvalidWithdrawProof"):
            proof_vault.request_withdrawal_raw(
                proof.calldata, note, bob, pending, outputs, sender=bob
            )
    bad_curve = bytes(range(256))
    with reverts_with("InvalidWithdrawProof"):
        proof_vault.request_withdrawal_raw(bad_curve, NID, bob, False, good, sender=bob)
    assert proof_vault.note(NID).status == NoteStatus.ACTIVE


def test_a_proof_for_another_vault_or_deposit_is_rejected(
    proof_vault: CreditVaultClient, withdraw_proof: Callable[..., Any], alice: str, bob: str
) -> None:
    proof_vault.deposit(NID, D * GWEI, sender=alice)
    for kwargs in ({"service_id": proof_vault.service_id() + 1}, {"deposit": D + 1}):
        proof = withdraw_proof(proof_vault, K, bob, **kwargs)
        with reverts_with("InvalidWithdrawProof"):
            proof_vault.request_withdrawal(proof.calldata, proof.signals, sender=bob)


def test_a_pending_exit_pays_c_max_to_the_treasury_and_burns_penalty_max(
    proof_vault: CreditVaultClient,
    deposit_and_exit: Callable[..., Any],
    bob: str,
    treasury: str,
    dev: Any,
) -> None:
    proof, receipt = deposit_and_exit(proof_vault, K, bob, sender=bob, pending=True)
    (event,) = proof_vault.events("WithdrawalRequested", receipt)
    assert (event["pending"], event["charged"], event["penalties"]) == (True, 1_000, 5_000)
    assert event["nullifierT"] == nullifier(slope(K, 1, proof_vault.service_id()))
    with reverts_with("ExitDelayNotElapsed"):
        proof_vault.finalize_withdrawal(NID, sender=bob)
    dev.advance(2 * DAY)
    proof_vault.finalize_withdrawal(NID, sender=bob)
    assert proof_vault.owed(bob) == (D - 6_000) * GWEI
    assert proof_vault.owed(treasury) == 1_000 * GWEI
    assert proof_vault.burned() == 5_000 * GWEI
    assert proof_vault.note(NID).status == NoteStatus.CLOSED
    with reverts_with("NoteNotActive"):
        proof_vault.request_withdrawal(proof.calldata, proof.signals, sender=bob)


def test_a_recipient_that_refuses_ether_blocks_neither_the_exit_nor_the_treasury(
    w3: Any,
    proof_vault: CreditVaultClient,
    deposit_and_exit: Callable[..., Any],
    deploy_helper: Callable[..., Any],
    alice: str,
    treasury: str,
    dev: Any,
) -> None:
    refuser = deploy_helper("RevertingRecipient")
    deposit_and_exit(proof_vault, K, refuser.address, sender=alice, pending=True)
    dev.advance(2 * DAY)
    proof_vault.finalize_withdrawal(NID, sender=alice)
    with reverts_with("PaymentFailed"):
        send(
            w3,
            sender=alice,
            to=refuser.address,
            data=refuser.encode_abi("pull", [proof_vault.address]),
        )
    proof_vault.withdraw_owed(sender=treasury)
    assert proof_vault.owed(treasury) == 0
    assert proof_vault.owed(refuser.address) == (D - 6_000) * GWEI
    assert proof_vault.balance() == (D - 1_000) * GWEI  # refuser's share + burned


def signed_state(k: int, sid: int, server_secret: int, n: int, c: int, p: int, rho: int) -> Any:
    from prover.crypto.commitment import Opening, commit
    from prover.crypto.eddsa import sign
    from prover.crypto.poseidon import poseidon
    from prover.crypto.tags import TAG_STATE

    e = commit(Opening(n=n, C=c, P=p, ID=note_id(k), rho=rho))
    sig = sign(server_secret, poseidon(TAG_STATE, sid, e.x, e.y))
    return (sig.R8.x, sig.R8.y, sig.S)


def test_an_exit_from_a_server_signed_state_pays_what_the_state_has_not_spent(
    proof_vault: CreditVaultClient, proofs: Any, server_pk: tuple[int, int], server_secret: int,
    alice: str, bob: str, treasury: str, dev: Any,
) -> None:  # fmt: skip
    from zkcredits_testing.vault_proofs import WithdrawStatement

    proof_vault.deposit(NID, D * GWEI, sender=alice)
    sid, params = proof_vault.service_id(), proof_vault.params()
    rho = 123_456_789
    sig = signed_state(K, sid, server_secret, n=3, c=2_500, p=0, rho=rho)
    statement = WithdrawStatement(
        k=K, deposit=D, service_id=sid, c_max=params.c_max, penalty_max=params.penalty_max,
        server_pk=server_pk, recipient=bob, pending=False, n=3, C=2_500, P=0, rho=rho,
        signature=sig,
    )  # fmt: skip
    proof = proofs.withdraw(statement)
    receipt = proof_vault.request_withdrawal(proof.calldata, proof.signals, sender=bob)
    (event,) = proof_vault.events("WithdrawalRequested", receipt)
    assert (event["charged"], event["penalties"]) == (2_500, 0)
    assert event["nullifierT"] == nullifier(slope(K, 3, sid))  # ticket t = n = 3
    dev.advance(2 * DAY)
    proof_vault.finalize_withdrawal(NID, sender=bob)
    assert proof_vault.owed(bob) == (D - 2_500) * GWEI
    assert proof_vault.owed(treasury) == 2_500 * GWEI


def test_a_stale_exit_reveals_the_secret_and_is_slashed_inside_the_window(
    proof_vault: CreditVaultClient, proofs: Any, deposit_and_exit: Callable[..., Any], bob: str,
    carol: str, treasury: str, dev: Any,
) -> None:  # fmt: skip
    from prover.crypto.rln import recover_secret

    sid = proof_vault.service_id()
    # The note spent ticket 0 on a paid call at some x: the gateway stored (x, y) for it.
    x_call = 987_654_321
    a0 = slope(K, 0, sid)
    y_call = share(K, a0, x_call)
    # The owner then exits from the stale genesis state: ticket 0 again, at x_w.
    _proof, receipt = deposit_and_exit(proof_vault, K, bob, sender=bob)
    (event,) = proof_vault.events("WithdrawalRequested", receipt)
    assert event["nullifierT"] == nullifier(a0)  # the gateway sees a spent nullifier
    k = recover_secret(x_call, y_call, withdrawal_point(sid), event["yW"])
    assert k == K
    slash = proofs.slash(k, sid)
    proof_vault.slash_with_signals(slash.calldata, slash.signals, sender=carol)
    dev.advance(2 * DAY)
    with reverts_with("NoteNotExiting"):
        proof_vault.finalize_withdrawal(NID, sender=bob)
    assert (proof_vault.owed(treasury), proof_vault.owed(bob)) == (D * GWEI, 0)
