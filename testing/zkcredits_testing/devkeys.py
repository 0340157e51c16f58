"""Anvil's well-known development accounts (public test mnemonic; never hold real funds)."""

from __future__ import annotations

from functools import lru_cache

from eth_account import Account
from eth_account.signers.local import LocalAccount

ANVIL_MNEMONIC = "test test test test test test test test test test test junk"


@lru_cache(maxsize=32)
def anvil_account(index: int) -> LocalAccount:
    """Dev account `index` of Anvil's default mnemonic (index 0 holds 0xf39F…2266)."""
    Account.enable_unaudited_hdwallet_features()
    account: LocalAccount = Account.from_mnemonic(
        ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}"
    )
    return account
