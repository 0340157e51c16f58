"""Deposit a new note into the pinned vault, native ETH or ERC-20 (PROTOCOL §4).

The vault's flavour is the pinned `asset` (read from the vault's `asset()` at discovery and checked
against the registration file): `"native"`, or the token's address. Both flavours take one path:

1. checks that need no note: amount rules, chain id, usable proving keys for the provider
   (`KeysUnavailableError` otherwise), the account's ETH (native) or token balance;
2. token vault only: `approve(vault, D·unit)` when the allowance is short (`token_deposit`);
3. a dry run of `deposit` with a throwaway ID, so a revert the vault would raise comes back by
   name before any note exists (e.g. a fee-on-transfer token whose net amount is not a multiple of
   `unit` or is below `min_deposit`);
4. the note: a fresh k drawn and journalled (`created`) BEFORE the deposit transaction, so a crash
   after sending leaves a note whose deposit can be recorded later from the chain;
5. `deposit` sent, and its `Deposited` event recorded. `D` is what the vault credited: a token
   that keeps a transfer fee arrives net of it, and the vault counts only what arrived.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError, Web3RPCError
from web3.logs import DISCARD

from prover.chain.sender import Sender, checksum
from prover.client.chain_abi import vault_abi
from prover.client.errors import ClientError, DepositError
from prover.client.keyring import Keyring, ensure_provider_keys
from prover.client.profile import ProviderPin
from prover.client.token_deposit import deposit_errors_abi, ensure_allowance, token_vault_abi
from prover.client.wallet import DepositInfo, Note, Wallet, crashpoints
from prover.crypto import P
from prover.errors import ZkCreditsError

Progress = Callable[[str], None]


def _silent(_message: str) -> None:
    return None


def _check_rules(w3: Web3, pin: ProviderPin, amount: int) -> None:
    if amount < pin.min_deposit:
        raise ClientError(
            f"deposit {amount} is below the vault's min_deposit {pin.min_deposit}", field="amount"
        )
    if amount >= 1 << 64:
        raise ClientError("deposit must be below 2^64 units", field="amount")
    if w3.eth.chain_id != pin.service.chain_id:
        raise ClientError(
            f"connected to chain {w3.eth.chain_id}, the provider is on {pin.service.chain_id}",
            field="rpc_url",
        )


def _check_eth(w3: Web3, account: LocalAccount, value: int) -> None:
    balance = int(w3.eth.get_balance(account.address))
    if balance < value:
        raise ClientError(
            f"{account.address} holds {balance} wei, the deposit needs {value} wei plus gas",
            field="balance",
        )


class _DepositTx:
    """The `deposit` transaction of either flavour for a given note ID."""

    def __init__(self, w3: Web3, pin: ProviderPin, value: int) -> None:
        address = checksum(pin.service.vault_address)
        self.native = pin.asset == "native"
        self.contract: Contract = w3.eth.contract(address=address, abi=vault_abi())
        self._token = w3.eth.contract(address=address, abi=token_vault_abi())
        self.value = value

    def params(self, note_id: int) -> dict[str, Any]:
        if self.native:
            data = self.contract.encode_abi("deposit", args=[note_id])
            return {"to": self.contract.address, "data": data, "value": self.value}
        data = self._token.encode_abi("deposit", args=[note_id, self.value])
        return {"to": self.contract.address, "data": data, "value": 0}


def _dry_run(sender: Sender, tx: _DepositTx) -> None:
    """`eth_call` of the deposit with a throwaway ID; the vault's revert, decoded, if any."""
    probe = 1 + secrets.randbelow(P - 1)
    try:
        sender.w3.eth.call({"from": sender.address, **tx.params(probe)})  # type: ignore[typeddict-item]
    except (ContractCustomError, ContractLogicError, Web3RPCError, ValueError) as exc:
        try:
            sender.raise_revert(exc, "deposit")
        except ZkCreditsError as named:
            raise DepositError(
                f"the vault would refuse the deposit: {named}; no note was written",
                field="deposit",
            ) from exc


def _deposited(contract: Contract, receipt: Any, note_id: int) -> dict[str, Any]:
    events = contract.events.Deposited().process_receipt(receipt, errors=DISCARD)
    mine = [dict(e["args"]) for e in events if int(e["args"]["id"]) == note_id]
    if len(mine) != 1:
        raise DepositError(f"expected one Deposited event for the note, got {len(mine)}")
    return mine[0]


def deposit_note(
    w3: Web3,
    account: LocalAccount,
    pin: ProviderPin,
    wallet: Wallet,
    amount: int,
    progress: Progress | None = None,
    keyring: Keyring | None = None,
) -> Note:
    """New note (fresh k), `deposit` of `amount` accounting units from `account`, recorded.

    Every check, the token approval (token vaults) and a dry run come before the note is drawn;
    the note is journalled (`created`) before the deposit transaction is sent. Without usable
    proving keys for the provider (built, cached or fetched: `prover.client.keyring`) nothing is
    deposited (`KeysUnavailableError`): a note that cannot prove could neither pay nor exit.
    """
    say = progress or _silent
    _check_rules(w3, pin, amount)
    say("checking the proving keys (fetched once per provider if none are here)")
    ensure_provider_keys(keyring or Keyring.from_settings(), pin)
    value = amount * pin.service.unit
    sender = Sender(w3, account, abis=[vault_abi(), deposit_errors_abi()])
    tx = _DepositTx(w3, pin, value)
    if tx.native:
        _check_eth(w3, account, value)
    else:
        ensure_allowance(sender, pin.asset, tx.contract.address, value, say)
    say("checking the deposit against the vault's rules (dry run)")
    _dry_run(sender, tx)
    note = wallet.new_note(pin.service)
    crashpoints.reached("deposit.note_journalled")
    say(f"sending the deposit of {amount} units for note {str(note.id)[:12]}…")
    try:
        receipt = sender.send(tx.params(note.id), "deposit")
    except ZkCreditsError as exc:
        raise DepositError(
            f"deposit failed: {exc}; note {str(note.id)[:12]}… stays 'created' (no deposit)",
            field="deposit",
        ) from exc
    event = _deposited(tx.contract, receipt, note.id)
    info = DepositInfo(
        tx_hash=bytes(receipt["transactionHash"]),
        leaf_index=int(event["index"]),
        D=int(event["deposit"]),
        expiry=int(event["expiry"]),
    )
    return wallet.record_deposit(note.id, info)
