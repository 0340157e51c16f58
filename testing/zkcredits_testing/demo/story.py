"""The whole story, in order, with every number the summary shows and the tests assert."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from prover.client.discovery import vault_contract
from zkcredits_testing.demo.agent import (
    AGENT_ACCOUNT,
    ON_PATH_CALLS,
    Agent,
    CallRecord,
    open_agent,
    run_calls,
)
from zkcredits_testing.demo.cheater import CheatOutcome, double_spend
from zkcredits_testing.demo.errors import DemoError
from zkcredits_testing.demo.gas import GasLine, gas_by_step
from zkcredits_testing.demo.stack import Stack, running_stack
from zkcredits_testing.demo.withdrawal import WithdrawalOutcome, withdraw_all

CHEATER_ACCOUNT = 7
DEFAULT_CALLS = 100
DEFAULT_NOTES = 3
NOTE_DEPOSIT = 50_000  # units (unit = 1 gwei): room for every call of the story
CHEATER_DEPOSIT = 10_000  # the vault's min_deposit in the demo config


@dataclass
class StoryResult:
    calls: list[CallRecord]
    prove_seconds: list[float]
    think_seconds: float
    deposits: list[int]
    wallet_charged: int
    wallet_penalties: int
    withdrawal: WithdrawalOutcome
    cheat: CheatOutcome
    treasury_owed_wei: int
    unit: int
    gas: list[GasLine]
    timings: dict[str, float] = field(default_factory=dict)
    anvil_pid: int = 0
    gateway_url: str = ""
    stopped: list[str] = field(default_factory=list)


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise DemoError(message)


def _timed(timings: dict[str, float], name: str, t0: float) -> None:
    timings[name] = time.monotonic() - t0


def _story(stack: Stack, calls: int, notes: int, progress: Callable[[str], None]) -> StoryResult:
    timings = stack.timings
    root = stack.root
    t0 = time.monotonic()
    progress(f"agent: discovering the provider via ERC-8004, depositing {notes} notes")
    honest: Agent = open_agent(stack, "agent", AGENT_ACCOUNT, [NOTE_DEPOSIT] * notes, root)
    stack.make_final(leaf_count=notes)
    _timed(timings, "discover + deposit + checkpoint", t0)

    t0 = time.monotonic()
    progress(
        f"agent: {ON_PATH_CALLS} paid calls proving on their path, then {calls} with proofs made "
        "ahead of time, through the prover service with the openai client"
    )
    run_calls(stack, honest, calls, progress)
    _timed(timings, f"{ON_PATH_CALLS + calls} paid calls", t0)
    tickets, charged, penalties = honest.spent()
    total = calls + ON_PATH_CALLS
    _check(tickets == total, f"the wallet counts {tickets} paid tickets, expected {total}")
    _check(charged + penalties == sum(c.cost for c in honest.calls), "per-call costs != wallet")

    t0 = time.monotonic()
    progress("cheater: deposit, then two different calls on the same ticket")
    cheater = open_agent(stack, "cheater", CHEATER_ACCOUNT, [CHEATER_DEPOSIT], root)
    stack.make_final(leaf_count=notes + 1)
    cheat = double_spend(stack, cheater)
    _timed(timings, "double spend → slashed", t0)
    unit = honest.pin.service.unit
    _check(cheat.treasury_gain_wei == CHEATER_DEPOSIT * unit, "the slash did not pay the treasury")

    t0 = time.monotonic()
    progress("agent: withdrawing every note (Anvil time moves past exit_delay)")
    out = withdraw_all(stack, honest)
    _timed(timings, "withdrawal", t0)
    _check(out.charged == charged and out.penalties == penalties, "the exit disagrees with wallet")
    _check(out.pulled_wei == out.expected_wei, f"payout {out.pulled_wei} != {out.expected_wei}")
    _check(out.treasury_gain_wei == charged * unit, "the treasury did not receive the charges")
    vault = vault_contract(stack.w3, stack.deployment.vault)
    owed = int(vault.functions.owedOf(stack.treasury()).call())
    _check(owed == (charged + CHEATER_DEPOSIT) * unit, f"treasury owed {owed} wei is wrong")
    progress("reading gas per step back from the chain")
    return StoryResult(
        calls=honest.calls,
        prove_seconds=honest.prove_seconds,
        think_seconds=honest.think_seconds,
        deposits=[NOTE_DEPOSIT] * notes,
        wallet_charged=charged,
        wallet_penalties=penalties,
        withdrawal=out,
        cheat=cheat,
        treasury_owed_wei=owed,
        unit=unit,
        gas=gas_by_step(stack.w3, stack.deployment.vault),
        timings=timings,
        anvil_pid=stack.anvil_pid,
        gateway_url=stack.gateway_url,
    )


def run_story(
    root: Path,
    *,
    calls: int = DEFAULT_CALLS,
    notes: int = DEFAULT_NOTES,
    progress: Callable[[str], None] = lambda _m: None,
) -> StoryResult:
    """Start the stack under `root`, play the story, stop everything (also on error)."""
    if calls < 1 or notes < 1:
        raise DemoError(f"calls={calls} and notes={notes} must both be positive")
    root.mkdir(parents=True, exist_ok=True)
    stopped: list[str] = []
    with running_stack(root, progress) as stack:
        progress(f"stack up: Anvil pid {stack.anvil_pid}, gateway {stack.gateway_url}")
        try:
            result = _story(stack, calls, notes, progress)
        finally:
            stopped.extend(
                [f"gateway {stack.gateway_url}", "chain sync/watcher/slasher thread",
                 "embedded upstream", f"Anvil pid {stack.anvil_pid}"]
            )  # fmt: skip
    result.stopped = stopped
    return result
