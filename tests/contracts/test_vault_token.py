"""TokenCreditVault: SafeERC20, deposits accounted by balance delta (fee-on-transfer tokens)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from web3 import Web3

from prover.chain.tx import send
from prover.chain.vault import CreditVaultClient, NoteStatus
from prover.crypto.rln import leaf, note_id

from .vault_setup import DAY, D, reverts_with

UNIT = 1_000  # base units per accounting unit (e.g. a 6-decimal token: 0.001 per unit)


@pytest.fixture
def token_setup(
    w3: Web3,
    deploy_vault: Callable[..., CreditVaultClient],
    alice: str,
    deploy_helper: Callable[..., Any],
) -> Callable[[int], tuple[Any, CreditVaultClient]]:
    def make(fee: int) -> tuple[Any, CreditVaultClient]:
        token = deploy_helper("FeeOnTransferToken", fee)
        vault = deploy_vault(token=token.address, unit=UNIT)
        send(w3, sender=alice, to=token.address, data=token.encode_abi("mint", [alice, 10**12]))
        data = token.encode_abi("approve", [vault.address, 2**256 - 1])
        send(w3, sender=alice, to=token.address, data=data)
        return token, vault

    return make


def test_a_plain_token_deposit_credits_the_amount_and_pays_back_in_tokens(
    token_setup: Callable[[int], tuple[Any, CreditVaultClient]], alice: str, treasury: str, dev: Any
) -> None:
    token, vault = token_setup(0)
    nid = note_id(5)
    receipt = vault.deposit(nid, D * UNIT, sender=alice)
    (event,) = vault.events("Deposited", receipt)
    assert event["deposit"] == D
    assert event["leaf"] == leaf(nid, D, event["expiry"])
    assert vault.balance() == D * UNIT
    assert vault.asset() == token.address
    dev.advance(33 * DAY)
    vault.claim_expired(nid, sender=alice)
    vault.withdraw_owed(sender=treasury)
    assert token.functions.balanceOf(treasury).call() == D * UNIT
    assert vault.balance() == 0


def test_a_fee_on_transfer_deposit_is_credited_for_what_actually_arrived(
    token_setup: Callable[[int], tuple[Any, CreditVaultClient]], alice: str
) -> None:
    fee = 3 * UNIT
    _token, vault = token_setup(fee)
    nid = note_id(6)
    receipt = vault.deposit(nid, (D + 10) * UNIT + fee, sender=alice)
    (event,) = vault.events("Deposited", receipt)
    assert event["deposit"] == D + 10
    assert vault.note(nid).deposit == D + 10
    assert vault.balance() == (D + 10) * UNIT


def test_a_fee_on_transfer_deposit_whose_net_amount_is_not_a_multiple_of_the_unit_is_refused(
    token_setup: Callable[[int], tuple[Any, CreditVaultClient]], alice: str
) -> None:
    _token, vault = token_setup(7)
    nid = note_id(7)
    with reverts_with("DepositNotMultipleOfUnit") as err:
        vault.deposit(nid, D * UNIT, sender=alice)  # arrives: D·unit − 7
    assert err.args == (D * UNIT - 7, UNIT)
    assert vault.note(nid).status == NoteStatus.NONE
    assert vault.balance() == 0


def test_a_token_deposit_without_allowance_reverts_in_the_token(
    token_setup: Callable[[int], tuple[Any, CreditVaultClient]], bob: str
) -> None:
    _token, vault = token_setup(0)
    with reverts_with("ERC20InsufficientAllowance"):
        vault.deposit(note_id(8), D * UNIT, sender=bob)
