"""The ERC-20 side of a deposit into a `TokenCreditVault` (PROTOCOL §4): balance and approval.

The vault pulls the tokens itself (SafeERC20 `transferFrom`) and credits what actually arrived, so
the user must first allow it to. `ensure_allowance` checks the account's token balance, then, only
when the current allowance is short, sends `approve(vault, value)` for exactly the deposit's base
units (never an unlimited approval) and reads the allowance back: a token that returns `false`
instead of reverting is caught there. Nothing here draws a note: a failure leaves the wallet as it
was, and at most an exact, unused allowance behind (the next deposit of that size reuses it).

`deposit_abi.json` holds the entries used here and the custom errors a deposit can revert with
(the vault's, SafeERC20's, and the ERC-6093 errors of OpenZeppelin tokens); a test checks it entry
for entry against the compiled contracts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from web3.exceptions import Web3Exception

from prover.chain.sender import Sender, checksum
from prover.client.errors import ClientError, InsufficientTokenBalanceError, TokenApprovalError
from prover.errors import ZkCreditsError

Progress = Callable[[str], None]
_FILE = Path(__file__).with_name("deposit_abi.json")


@lru_cache(maxsize=1)
def _load() -> dict[str, list[dict[str, Any]]]:
    data: dict[str, list[dict[str, Any]]] = json.loads(_FILE.read_text())
    return data


def token_vault_abi() -> list[dict[str, Any]]:
    """`deposit(id, amount)` of `ITokenCreditVault`."""
    return _load()["token_vault"]


def erc20_abi() -> list[dict[str, Any]]:
    """`balanceOf`, `allowance`, `approve`."""
    return _load()["erc20"]


def deposit_errors_abi() -> list[dict[str, Any]]:
    """Every custom error a deposit (or its approval) can revert with, for decoding by name."""
    return _load()["errors"]


def _read(what: str, token: str, call: Callable[[], Any]) -> int:
    try:
        return int(call())
    except (Web3Exception, ValueError) as exc:
        raise ClientError(f"cannot read {what} of the token {token}: {exc}", field="asset") from exc


def ensure_allowance(
    sender: Sender, token: str, vault: str, value: int, progress: Progress
) -> bytes | None:
    """Make sure `vault` may pull `value` base units of `token` from the sender's account.

    Raises `InsufficientTokenBalanceError` before anything is sent if the balance is short.
    Returns the hash of the `approve` transaction, or None when the allowance already covered
    `value` (no transaction).
    """
    erc20 = sender.w3.eth.contract(address=checksum(token), abi=erc20_abi())
    owner, spender = sender.address, checksum(vault)
    progress(f"checking the balance and allowance of the token {token}")
    balance = _read("the balance", token, erc20.functions.balanceOf(owner).call)
    if balance < value:
        raise InsufficientTokenBalanceError(
            f"{owner} holds {balance} base units of the token {token}, the deposit needs "
            f"{value}; nothing was sent",
            field="balance",
        )
    allowance = _read("the allowance", token, erc20.functions.allowance(owner, spender).call)
    if allowance >= value:
        return None
    progress(f"approving the vault to pull exactly {value} base units of {token}")
    try:
        receipt = sender.call_fn(erc20.functions.approve(spender, value), "approve")
    except ZkCreditsError as exc:
        hint = (
            " (some tokens refuse to change a non-zero allowance: approve 0 first)"
            if allowance
            else ""
        )
        raise TokenApprovalError(
            f"approving {value} base units of {token} for the vault failed{hint}: {exc}; "
            "nothing was deposited",
            field="approve",
        ) from exc
    after = _read("the allowance", token, erc20.functions.allowance(owner, spender).call)
    if after < value:
        raise TokenApprovalError(
            f"approve of {value} base units of {token} was mined but the allowance is {after}; "
            "nothing was deposited",
            field="approve",
        )
    return bytes(receipt["transactionHash"])
