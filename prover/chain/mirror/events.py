"""Fetch and decode the vault's logs (one `eth_getLogs` per block range, all event types)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract import Contract

from prover.chain.artifacts import artifact
from prover.chain.mirror.errors import MirrorInconsistentError, MirrorRpcError
from prover.chain.mirror.models import (
    CheckpointEvent,
    DepositRecord,
    NoteEvent,
    Position,
    VaultEvent,
    WithdrawalRecord,
)

MIRRORED = (
    "Deposited",
    "RootCheckpointed",
    "WithdrawalRequested",
    "WithdrawalFinalized",
    "Slashed",
    "Swept",
)


def _signature(item: dict[str, Any]) -> str:
    return f"{item['name']}({','.join(str(i['type']) for i in item['inputs'])})"


@lru_cache(maxsize=1)
def _topics() -> dict[bytes, str]:
    """topic0 → event name for the mirrored events (from the compiled vault ABI)."""
    out = {}
    for item in artifact("EthCreditVault").abi:
        if item.get("type") == "event" and item["name"] in MIRRORED:
            out[keccak(text=_signature(item))] = str(item["name"])
    missing = set(MIRRORED) - set(out.values())
    if missing:
        raise MirrorInconsistentError(f"the vault ABI lacks events {sorted(missing)}")
    return out


def vault_contract(w3: Web3, vault: str) -> Contract:
    return w3.eth.contract(
        address=Web3.to_checksum_address(vault), abi=artifact("EthCreditVault").abi
    )


def fetch_logs(w3: Web3, vault: str, from_block: int, to_block: int) -> list[dict[str, Any]]:
    """Every log of `vault` in `[from_block, to_block]`, in (block, log index) order."""
    try:
        logs = w3.eth.get_logs(
            {
                "address": Web3.to_checksum_address(vault),
                "fromBlock": from_block,
                "toBlock": to_block,
            }
        )
    except Exception as exc:  # transport / RPC errors of many types
        raise MirrorRpcError(f"eth_getLogs [{from_block}, {to_block}] failed: {exc}") from exc
    out = [dict(log) for log in logs]
    out.sort(key=lambda log: (int(str(log["blockNumber"])), int(str(log["logIndex"]))))
    return out


def decode(
    contract: Contract,
    log: dict[str, Any],
    timestamp_of: Callable[[int], int],
    next_withdrawal_seq: Callable[[], int],
) -> VaultEvent | None:
    """The typed record of a mirrored event; None for other events (e.g. `OwedWithdrawn`)."""
    topics = log.get("topics") or []
    if not topics:
        return None
    name = _topics().get(bytes(topics[0]))
    if name is None:
        return None
    args = getattr(contract.events, name)().process_log(log)["args"]
    at = Position(
        block_number=int(log["blockNumber"]),
        log_index=int(log["logIndex"]),
        tx_hash="0x" + bytes(log["transactionHash"]).hex(),
    )
    if name == "Deposited":
        return DepositRecord(
            index=args["index"], note_id=args["id"], deposit=args["deposit"],
            expiry=args["expiry"], leaf=args["leaf"], root=args["root"],
            timestamp=timestamp_of(at.block_number), at=at,
        )  # fmt: skip
    if name == "RootCheckpointed":
        return CheckpointEvent(epoch=args["epoch"], root=args["root"], at=at)
    if name == "WithdrawalRequested":
        return WithdrawalRecord(
            seq=next_withdrawal_seq(), note_id=args["id"], nullifier_t=args["nullifierT"],
            y_w=args["yW"], pending=args["pending"], recipient=str(args["recipient"]),
            charged=args["charged"], penalties=args["penalties"], ready_at=args["readyAt"],
            at=at,
        )  # fmt: skip
    if name == "WithdrawalFinalized":
        amount = int(args["payout"])
        return NoteEvent(kind="finalized", note_id=args["id"], amount=amount, at=at)
    kind = "slashed" if name == "Slashed" else "swept"
    return NoteEvent(kind=kind, note_id=args["id"], amount=args["amount"], at=at)
