"""Gas per step, read back from the chain itself: every transaction of the story, labelled by the
vault function it called (or as a deployment step)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from web3 import Web3
from web3.contract import Contract

from prover.chain.vault import CreditVaultClient


@dataclass
class GasLine:
    step: str
    count: int
    total: int

    @property
    def mean(self) -> int:
        return self.total // max(self.count, 1)


def _label(contract: Contract, tx: dict[str, Any]) -> str:
    to = tx.get("to")
    if to is None:
        return "deploy: contract creation"
    if str(to).lower() != str(contract.address).lower():
        return "deploy: ERC-8004 agent registration"
    try:
        fn, _ = contract.decode_function_input(tx["input"])
    except ValueError:
        return "vault: unknown call"
    return f"vault: {fn.fn_name}"


def gas_by_step(w3: Web3, vault: str) -> list[GasLine]:
    """Every transaction from block 1 to the newest, grouped by step, in first-seen order."""
    lines: dict[str, GasLine] = {}
    contract = CreditVaultClient(w3, vault).contract
    for number in range(1, int(w3.eth.block_number) + 1):
        block = w3.eth.get_block(number, full_transactions=True)
        for raw in block["transactions"]:
            tx = dict(cast(Any, raw))
            receipt = w3.eth.get_transaction_receipt(tx["hash"])
            label = _label(contract, tx)
            line = lines.setdefault(label, GasLine(label, 0, 0))
            line.count += 1
            line.total += int(receipt["gasUsed"])
    return list(lines.values())
