"""The honest agent's exit: a withdraw proof per note, `requestWithdrawal`, Anvil time past
`exit_delay`, `finalizeWithdrawal` and `withdrawOwed`; the payout must be exactly D − C − P."""

from __future__ import annotations

from dataclasses import dataclass

from prover.client.discovery import vault_contract
from prover.client.withdraw import exit_info, finalize_and_pull, request_withdrawal
from zkcredits_testing.demo.agent import Agent
from zkcredits_testing.demo.errors import DemoError
from zkcredits_testing.demo.stack import Stack


@dataclass
class WithdrawalOutcome:
    deposited: int  # units
    charged: int  # units, as the withdraw proofs revealed them on chain
    penalties: int  # units
    expected_wei: int
    pulled_wei: int
    treasury_gain_wei: int


def withdraw_all(stack: Stack, agent: Agent) -> WithdrawalOutcome:
    """Exit every note of `agent` to its own account and pull the payout."""
    unit = agent.pin.service.unit
    vault = vault_contract(stack.w3, stack.deployment.vault)
    treasury = stack.treasury()
    owed_before = int(vault.functions.owedOf(treasury).call())
    to = str(agent.account.address)
    charged = penalties = 0
    for note_id in agent.note_ids():
        info = request_withdrawal(stack.w3, agent.account, agent.wallet, note_id, to, False)
        charged += info.charged
        penalties += info.penalties
    stack.dev.advance(agent.pin.exit_delay + 1)
    pulled = 0
    for note_id in agent.note_ids():
        pulled += finalize_and_pull(stack.w3, agent.account, agent.wallet, note_id)
        status = exit_info(vault, note_id).status
        if status.name != "CLOSED":
            raise DemoError(f"note {note_id} is {status.name} after finalisation, not CLOSED")
    deposited = agent.deposited()
    expected = (deposited - charged - penalties) * unit
    gain = int(vault.functions.owedOf(treasury).call()) - owed_before
    return WithdrawalOutcome(deposited, charged, penalties, expected, pulled, gain)
