"""Pull payments (PROTOCOL §7): a reverting or re-entrant payee blocks no one but itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from web3 import Web3

from prover.chain.tx import send
from prover.chain.vault import CreditVaultClient
from prover.crypto.rln import note_id

from .vault_setup import DAY, GWEI, D, reverts_with

Owed = Callable[[str], tuple[Any, CreditVaultClient]]


@pytest.fixture
def owed_to_helper(
    deploy_vault: Callable[..., CreditVaultClient],
    deploy_helper: Callable[..., Any],
    alice: str,
    dev: Any,
) -> Owed:
    """`payee, vault = owed_to_helper("RevertingRecipient")`: a vault whose treasury is that
    contracts/test/ helper, owed 2·D: alice's two notes expired past the grace period, swept."""

    def make(name: str) -> tuple[Any, CreditVaultClient]:
        payee = deploy_helper(name)
        vault = deploy_vault(treasury=payee.address)
        ids = [note_id(1), note_id(2)]
        for nid in ids:
            vault.deposit(nid, D * GWEI, sender=alice)
        dev.advance((30 + 3) * DAY)
        for nid in ids:
            vault.claim_expired(nid, sender=alice)
        return payee, vault

    return make


def test_a_treasury_that_refuses_ether_cannot_block_other_payees_and_can_pull_elsewhere(
    w3: Web3, owed_to_helper: Owed, alice: str, bob: str
) -> None:
    refuser, vault = owed_to_helper("RevertingRecipient")
    assert vault.owed(refuser.address) == 2 * D * GWEI
    # Its own pull fails (and only its own) ...
    with reverts_with("PaymentFailed") as err:
        send(w3, sender=bob, to=refuser.address, data=refuser.encode_abi("pull", [vault.address]))
    assert err.args == (refuser.address, 2 * D * GWEI)
    assert vault.owed(refuser.address) == 2 * D * GWEI
    # ... while the vault keeps working for everyone else.
    vault.deposit(note_id(3), D * GWEI, sender=bob)
    assert vault.balance() == 3 * D * GWEI
    # And it can route its payment to another address.
    before = w3.eth.get_balance(bob)
    data = refuser.encode_abi("pullTo", [vault.address, bob])
    send(w3, sender=alice, to=refuser.address, data=data)
    assert w3.eth.get_balance(bob) - before == 2 * D * GWEI
    assert vault.owed(refuser.address) == 0
    assert vault.balance() == D * GWEI


def test_a_payee_that_reenters_on_payment_is_paid_exactly_once(
    w3: Web3, owed_to_helper: Owed, alice: str
) -> None:
    attacker, vault = owed_to_helper("ReentrantRecipient")
    vault.deposit(note_id(3), D * GWEI, sender=alice)  # value the attacker must not reach
    send(w3, sender=alice, to=attacker.address, data=attacker.encode_abi("pull", [vault.address]))
    assert w3.eth.get_balance(attacker.address) == 2 * D * GWEI
    assert attacker.functions.reentryAttempts().call() == 1
    assert attacker.functions.reentrySuccesses().call() == 0
    # The re-entrant call was stopped by the guard (ReentrancyGuardReentrantCall()).
    assert (
        attacker.functions.lastRevert().call()
        == Web3.keccak(text="ReentrancyGuardReentrantCall()")[:4]
    )
    assert vault.owed(attacker.address) == 0
    assert vault.balance() == D * GWEI
