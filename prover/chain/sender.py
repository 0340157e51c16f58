"""Send signed transactions from one local key, and decode custom-error reverts by ABI."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NoReturn, cast

from eth_abi.abi import decode as abi_decode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractCustomError, ContractLogicError, Web3RPCError
from web3.types import TxParams, TxReceipt

from prover.chain.deploy.errors import (
    DeployerKeyError,
    InsufficientFundsError,
    TransactionRevertedError,
)

AbiList = list[dict[str, Any]]


def load_account(private_key: str) -> LocalAccount:
    """A signing account from a 0x-prefixed (or bare) 32-byte hex key."""
    text = private_key.strip()
    body = text[2:] if text.lower().startswith("0x") else text
    if len(body) != 64:
        raise DeployerKeyError(
            f"the deployer key must be 32 bytes of hex, got {len(body)} hex digits", field="key"
        )
    try:
        int(body, 16)
        account: LocalAccount = Account.from_key("0x" + body)
    except ValueError as exc:
        raise DeployerKeyError("the deployer key is not valid hex / a valid secp256k1 key") from exc
    return account


def _error_table(abis: Iterable[AbiList]) -> dict[bytes, tuple[str, list[str]]]:
    table: dict[bytes, tuple[str, list[str]]] = {}
    for abi in abis:
        for item in abi:
            if item.get("type") != "error":
                continue
            types = [_abi_type(inp) for inp in item.get("inputs", [])]
            selector = keccak(text=f"{item['name']}({','.join(types)})")[:4]
            table[selector] = (str(item["name"]), types)
    return table


def _abi_type(inp: dict[str, Any]) -> str:
    if str(inp["type"]).startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in inp["components"])
        return f"({inner}){str(inp['type'])[5:]}"
    return str(inp["type"])


def decode_revert(data: str | bytes, abis: Iterable[AbiList]) -> tuple[str, tuple[object, ...]]:
    """Name and arguments of the custom error (or `Error(string)`) in revert `data`."""
    raw = (
        bytes.fromhex(data[2:] if data.startswith("0x") else data)
        if isinstance(data, str)
        else data
    )
    if len(raw) < 4:
        return ("<empty revert>", ())
    selector, payload = raw[:4], raw[4:]
    if selector == keccak(text="Error(string)")[:4]:
        return ("Error", tuple(abi_decode(["string"], payload)))
    known = _error_table(abis)
    if selector not in known:
        return (f"<unknown 0x{selector.hex()}>", ())
    name, types = known[selector]
    values = abi_decode(types, payload)
    return (
        name,
        tuple(
            to_checksum_address(v) if t == "address" else v
            for t, v in zip(types, values, strict=True)
        ),
    )


def _revert_data(exc: Exception) -> str | None:
    if isinstance(exc, ContractCustomError | ContractLogicError):
        data = exc.data
        if isinstance(data, str):
            return data
    return None


class Sender:
    """Signs and sends transactions from `account`, waiting for each receipt.

    `abis` lists every ABI whose custom errors should be decoded on a revert.
    """

    def __init__(
        self,
        w3: Web3,
        account: LocalAccount,
        *,
        abis: Sequence[AbiList] = (),
        receipt_timeout: float = 120.0,
    ) -> None:
        self.w3 = w3
        self.account = account
        self.abis: list[AbiList] = list(abis)
        self._timeout = receipt_timeout

    @property
    def address(self) -> ChecksumAddress:
        return self.account.address

    def raise_revert(self, exc: Exception, what: str) -> NoReturn:
        data = _revert_data(exc)
        if data is None:
            if "insufficient funds" in str(exc).lower():
                raise InsufficientFundsError(
                    f"{what}: {self.address} cannot pay for it ({exc})", field="balance"
                ) from exc
            raise TransactionRevertedError(f"{what} reverted: {exc}") from exc
        name, args = decode_revert(data, self.abis)
        raise TransactionRevertedError(
            f"{what} reverted with {name}{args}", error_name=name, error_args=args
        ) from exc

    def fees(self) -> dict[str, int]:
        """EIP-1559 fee caps: twice the base fee plus the node's tip (1 gwei if it has none)."""
        block = self.w3.eth.get_block("latest")
        base = int(block.get("baseFeePerGas", 0) or 0)
        try:
            tip = int(self.w3.eth.max_priority_fee)
        except (Web3RPCError, ValueError):
            tip = 1_000_000_000
        return {"maxFeePerGas": 2 * base + tip, "maxPriorityFeePerGas": tip}

    def send(
        self, params: TxParams | dict[str, Any], what: str, gas: int | None = None
    ) -> TxReceipt:
        """Fill nonce, fees and gas, sign, send and wait; raise a typed error on any failure."""
        tx: dict[str, Any] = dict(params)
        tx["from"] = self.address
        tx["chainId"] = self.w3.eth.chain_id
        tx["nonce"] = self.w3.eth.get_transaction_count(self.address, "pending")
        tx.update(self.fees())
        try:
            tx["gas"] = (
                gas if gas is not None else self.w3.eth.estimate_gas(cast(TxParams, tx)) * 12 // 10
            )
        except (ContractCustomError, ContractLogicError, Web3RPCError, ValueError) as exc:
            self.raise_revert(exc, what)
        signed = self.account.sign_transaction(tx)
        try:
            tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        except (Web3RPCError, ValueError) as exc:
            self.raise_revert(exc, what)
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=self._timeout)
        if receipt["status"] != 1:
            raise TransactionRevertedError(f"{what} reverted on chain (tx {tx_hash.hex()})")
        return receipt

    def call_fn(self, fn: ContractFunction, what: str, gas: int | None = None) -> TxReceipt:
        """Send a contract function call as a transaction."""
        address = fn.address
        data = fn._encode_transaction_data()
        return self.send({"to": address, "data": data}, what, gas=gas)

    def deploy(self, abi: AbiList, bytecode: str, args: Sequence[object], what: str) -> TxReceipt:
        """Deploy a contract; the receipt's `contractAddress` is its address."""
        factory = self.w3.eth.contract(abi=abi, bytecode=bytecode)
        data = factory.constructor(*args).data_in_transaction
        receipt = self.send({"data": data}, f"deploying {what}")
        if receipt.get("contractAddress") is None:
            raise TransactionRevertedError(f"deploying {what} created no contract")
        return receipt


def checksum(address: str) -> ChecksumAddress:
    return to_checksum_address(address)
