"""The §7 state machine reached cheaply: the verifiers here accept every proof (TEST ONLY).

What a proof decides (validity, binding of recipient/pending/outputs) is tested with Groth16
proofs and verifiers in test_vault_exits_with_proofs.py / test_vault_slash_with_proofs.py; this
file covers the bookkeeping and every refusal that comes before or after verification.
"""

from __future__ import annotations

from typing import Any

from prover.chain.vault import CreditVaultClient, NoteStatus
from prover.crypto.field import P
from prover.crypto.rln import note_id

from .vault_setup import DAY, GWEI, D, reverts_with

NO_PROOF = bytes(256)
NID = note_id(77)


def outputs(charged: int = 0, penalties: int = 0) -> tuple[int, int, int, int]:
    return (charged, penalties, 123, 456)


def exiting(
    vault: CreditVaultClient, alice: str, bob: str, charged: int = 0, penalties: int = 0
) -> None:
    vault.deposit(NID, D * GWEI, sender=alice)
    vault.request_withdrawal_raw(
        NO_PROOF, NID, bob, False, outputs(charged, penalties), sender=alice
    )


def test_an_exit_records_recipient_and_amounts_with_an_accept_all_verifier(
    eth_vault: CreditVaultClient, alice: str, bob: str, dev: Any
) -> None:
    eth_vault.deposit(NID, D * GWEI, sender=alice)
    receipt = eth_vault.request_withdrawal_raw(
        NO_PROOF, NID, bob, True, (1_000, 5_000, 11, 22), sender=alice
    )
    (event,) = eth_vault.events("WithdrawalRequested", receipt)
    ready = dev.timestamp() + 2 * DAY
    assert event == {
        "id": NID,
        "nullifierT": 11,
        "yW": 22,
        "pending": True,
        "recipient": bob,
        "charged": 1_000,
        "penalties": 5_000,
        "readyAt": ready,
    }
    note = eth_vault.note(NID)
    assert (note.status, note.charged, note.penalties) == (NoteStatus.EXITING, 1_000, 5_000)
    assert (note.recipient, note.exit_ready_at) == (bob, ready)


def test_finalizing_credits_recipient_treasury_and_burn_counter_with_an_accept_all_verifier(
    eth_vault: CreditVaultClient, alice: str, bob: str, carol: str, treasury: str, dev: Any
) -> None:
    exiting(eth_vault, alice, bob, charged=1_234, penalties=5_000)
    with reverts_with("ExitDelayNotElapsed") as err:
        eth_vault.finalize_withdrawal(NID, sender=carol)
    assert err.args[0] == NID
    dev.advance(2 * DAY)
    receipt = eth_vault.finalize_withdrawal(NID, sender=carol)
    (event,) = eth_vault.events("WithdrawalFinalized", receipt)
    payout = (D - 1_234 - 5_000) * GWEI
    assert event == {
        "id": NID,
        "recipient": bob,
        "payout": payout,
        "charged": 1_234 * GWEI,
        "burned": 5_000 * GWEI,
    }
    assert eth_vault.owed(bob) == payout
    assert eth_vault.owed(treasury) == 1_234 * GWEI
    assert eth_vault.burned() == 5_000 * GWEI
    assert eth_vault.note(NID).status == NoteStatus.CLOSED
    with reverts_with("NoteNotExiting"):
        eth_vault.finalize_withdrawal(NID, sender=carol)
    with reverts_with("NoteNotActive"):
        eth_vault.request_withdrawal_raw(NO_PROOF, NID, bob, False, outputs(), sender=alice)


def test_exit_requests_check_every_rule_before_the_proof_with_an_accept_all_verifier(
    eth_vault: CreditVaultClient, alice: str, bob: str, dev: Any
) -> None:
    with reverts_with("NoteNotActive") as err:
        eth_vault.request_withdrawal_raw(NO_PROOF, NID, bob, False, outputs(), sender=alice)
    assert err.args == (NID, NoteStatus.NONE)
    eth_vault.deposit(NID, D * GWEI, sender=alice)
    with reverts_with("RecipientIsZero"):
        eth_vault.request_withdrawal_raw(
            NO_PROOF, NID, "0x" + "00" * 20, False, outputs(), sender=alice
        )
    with reverts_with("AmountOutOfRange"):
        eth_vault.request_withdrawal_raw(
            NO_PROOF, NID, bob, False, outputs(charged=2**64), sender=alice
        )
    with reverts_with("AmountOutOfRange"):
        eth_vault.request_withdrawal_raw(
            NO_PROOF, NID, bob, False, outputs(penalties=2**64), sender=alice
        )
    with reverts_with("SignalNotCanonical"):
        eth_vault.request_withdrawal_raw(NO_PROOF, NID, bob, False, (0, 0, P, 1), sender=alice)
    with reverts_with("SignalNotCanonical"):
        eth_vault.request_withdrawal_raw(NO_PROOF, NID, bob, False, (0, 0, 1, P), sender=alice)
    with reverts_with("WithdrawExceedsDeposit") as err:
        eth_vault.request_withdrawal_raw(
            NO_PROOF, NID, bob, False, outputs(6_000, 4_001), sender=alice
        )
    assert err.args == (6_000, 4_001, D)
    expiry = eth_vault.note(NID).expiry
    dev.advance_to((expiry + 2) * DAY + DAY - 1)  # last second of the last exit day
    eth_vault.request_withdrawal_raw(NO_PROOF, NID, bob, False, outputs(), sender=alice)


def test_after_the_grace_period_exits_are_refused_and_sweeps_allowed_with_an_accept_all_verifier(
    eth_vault: CreditVaultClient, alice: str, bob: str, carol: str, treasury: str, dev: Any
) -> None:
    eth_vault.deposit(NID, D * GWEI, sender=alice)
    expiry = eth_vault.note(NID).expiry
    with reverts_with("ExitWindowOpen") as err:
        eth_vault.claim_expired(NID, sender=carol)
    assert err.args == (NID, expiry + 2)
    dev.advance_to((expiry + 3) * DAY)
    with reverts_with("ExitWindowClosed") as err:
        eth_vault.request_withdrawal_raw(NO_PROOF, NID, bob, False, outputs(), sender=alice)
    assert err.args == (NID, expiry + 2)
    receipt = eth_vault.claim_expired(NID, sender=carol)
    assert eth_vault.events("Swept", receipt) == [{"id": NID, "amount": D * GWEI}]
    assert eth_vault.note(NID).status == NoteStatus.SWEPT
    assert eth_vault.owed(treasury) == D * GWEI
    with reverts_with("NoteNotActive"):
        eth_vault.claim_expired(NID, sender=carol)
    with reverts_with("NoteNotSlashable"):
        eth_vault.slash(NO_PROOF, NID, sender=carol)


def test_an_exiting_note_is_never_swept_and_finalizes_late_with_an_accept_all_verifier(
    eth_vault: CreditVaultClient, alice: str, bob: str, carol: str, dev: Any
) -> None:
    exiting(eth_vault, alice, bob)
    dev.advance(60 * DAY)
    with reverts_with("NoteNotActive"):
        eth_vault.claim_expired(NID, sender=carol)
    eth_vault.finalize_withdrawal(NID, sender=carol)
    assert eth_vault.owed(bob) == D * GWEI


def test_a_slash_cancels_an_exit_and_pays_the_treasury_with_an_accept_all_verifier(
    eth_vault: CreditVaultClient, alice: str, bob: str, carol: str, treasury: str, dev: Any
) -> None:
    exiting(eth_vault, alice, bob, charged=10)
    receipt = eth_vault.slash(NO_PROOF, NID, sender=carol)
    assert eth_vault.events("Slashed", receipt) == [
        {"id": NID, "exitCancelled": True, "amount": D * GWEI}
    ]
    note = eth_vault.note(NID)
    assert (note.status, note.recipient, note.exit_ready_at) == (
        NoteStatus.SLASHED,
        "0x" + "00" * 20,
        0,
    )
    dev.advance(3 * DAY)
    with reverts_with("NoteNotExiting"):
        eth_vault.finalize_withdrawal(NID, sender=carol)
    with reverts_with("NoteNotSlashable") as err:
        eth_vault.slash(NO_PROOF, NID, sender=carol)
    assert err.args == (NID, NoteStatus.SLASHED)
    assert (eth_vault.owed(treasury), eth_vault.owed(bob)) == (D * GWEI, 0)


def test_owed_value_is_pulled_once_and_nothing_owed_is_refused_with_an_accept_all_verifier(
    eth_vault: CreditVaultClient, w3: Any, alice: str, bob: str, carol: str, dev: Any
) -> None:
    exiting(eth_vault, alice, bob, charged=100)
    dev.advance(2 * DAY)
    eth_vault.finalize_withdrawal(NID, sender=carol)
    before = w3.eth.get_balance(carol)
    receipt = eth_vault.withdraw_owed(sender=bob, to=carol)
    assert eth_vault.events("OwedWithdrawn", receipt) == [
        {"account": bob, "to": carol, "amount": (D - 100) * GWEI}
    ]
    assert w3.eth.get_balance(carol) - before == (D - 100) * GWEI
    with reverts_with("NothingOwed") as err:
        eth_vault.withdraw_owed(sender=bob)
    assert err.args == (bob,)
    with reverts_with("RecipientIsZero"):
        eth_vault.withdraw_owed(sender=alice, to="0x" + "00" * 20)
    assert eth_vault.balance() == 100 * GWEI
