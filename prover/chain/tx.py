"""Send transactions from unlocked accounts (Anvil) with a dry run that decodes reverts."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Final, cast

from eth_abi.abi import decode
from eth_hash.auto import keccak
from pydantic import BaseModel, ConfigDict
from web3 import Web3

from prover.chain.artifacts import all_errors_abi
from prover.chain.errors import ChainError, ContractRevertError, TransactionFailedError

DEFAULT_GAS: Final[int] = 3_000_000
"""Explicit gas limit: eth_estimateGas under-estimates calls that verify proofs (TOOLCHAIN)."""


class Receipt(BaseModel):
    """What callers need from a mined transaction."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    tx_hash: str
    gas_used: int
    block_number: int
    logs: list[dict[str, Any]]
    contract_address: str | None = None


def _type_string(param: dict[str, Any]) -> str:
    if param["type"].startswith("tuple"):
        inner = ",".join(_type_string(c) for c in param["components"])
        return f"({inner}){param['type'][5:]}"
    return str(param["type"])


@lru_cache(maxsize=1)
def _error_table() -> dict[bytes, tuple[str, list[str]]]:
    table: dict[bytes, tuple[str, list[str]]] = {
        bytes.fromhex("08c379a0"): ("Error", ["string"]),
        bytes.fromhex("4e487b71"): ("Panic", ["uint256"]),
    }
    for item in all_errors_abi():
        types = [_type_string(i) for i in item.get("inputs", [])]
        selector = keccak(f"{item['name']}({','.join(types)})".encode())[:4]
        table[selector] = (item["name"], types)
    return table


def decode_revert(data: bytes, context: str = "call") -> ContractRevertError:
    """Turn revert data into a `ContractRevertError` naming the custom error and its arguments."""
    if len(data) < 4:
        return ContractRevertError("", (), data, context)
    entry = _error_table().get(data[:4])
    if entry is None:
        return ContractRevertError("unknown", (data[:4].hex(),), data, context)
    name, types = entry
    try:
        raw = decode(types, data[4:]) if types else ()
        args = tuple(
            Web3.to_checksum_address(v) if t == "address" else v
            for t, v in zip(types, raw, strict=True)
        )
    except Exception as exc:  # eth_abi raises several types for malformed data
        raise ChainError(f"malformed revert data for {name}: {data.hex()}") from exc
    return ContractRevertError(name, args, data, context)


def _revert_data(error: object) -> bytes | None:
    if not isinstance(error, dict):
        return None
    data = error.get("data")
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        return bytes.fromhex(data[2:])
    message = str(error.get("message", ""))
    return b"" if "revert" in message else None


def dry_run(w3: Web3, tx: dict[str, Any], context: str) -> bytes:
    """`eth_call` the transaction; raise `ContractRevertError` if it reverts, else return output."""
    call = {k: (hex(v) if isinstance(v, int) else v) for k, v in tx.items()}
    reply = w3.provider.make_request("eth_call", [call, "latest"])  # type: ignore[arg-type]
    if "error" in reply:
        data = _revert_data(reply["error"])
        if data is None:
            raise ChainError(f"{context}: eth_call failed: {reply['error']}")
        raise decode_revert(data, context)
    return bytes.fromhex(str(reply["result"])[2:])


def send(
    w3: Web3,
    *,
    sender: str,
    to: str | None,
    data: str,
    value: int = 0,
    gas: int = DEFAULT_GAS,
    context: str = "transaction",
) -> Receipt:
    """Dry-run, then send from an unlocked account and wait for the receipt.

    Raises `ContractRevertError` (decoded) if the dry run reverts.
    """
    tx: dict[str, Any] = {"from": sender, "data": data, "value": value, "gas": gas}
    if to is not None:
        tx["to"] = to
    dry_run(w3, tx, context)
    tx_hash = w3.eth.send_transaction(cast(Any, tx))
    raw = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
    if raw["status"] != 1:
        raise TransactionFailedError(f"{context} was mined with status 0 ({tx_hash.hex()})")
    address = raw.get("contractAddress")
    return Receipt(
        tx_hash="0x" + bytes(tx_hash).hex().removeprefix("0x"),
        gas_used=int(raw["gasUsed"]),
        block_number=int(raw["blockNumber"]),
        logs=[dict(log) for log in raw["logs"]],
        contract_address=str(address) if address else None,
    )


def deploy(
    w3: Web3,
    *,
    sender: str,
    abi: Sequence[dict[str, Any]],
    bytecode: str,
    args: Sequence[object] = (),
    value: int = 0,
    gas: int = 25_000_000,
    context: str = "deploy",
) -> Receipt:
    """Deploy a contract (constructor args ABI-encoded from its ABI); returns the receipt."""
    factory = w3.eth.contract(abi=list(abi), bytecode=bytecode)
    data = factory.constructor(*args).data_in_transaction
    receipt = send(w3, sender=sender, to=None, data=data, value=value, gas=gas, context=context)
    if receipt.contract_address is None:
        raise ChainError(f"{context}: no contract address in the receipt")
    return receipt
