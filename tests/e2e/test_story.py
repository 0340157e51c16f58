"""The whole story of `zkcredits demo` as a test: real circuits, Anvil, the deployment, the gateway
with its watcher and slasher, the prover service called by the official openai client, a
double-spender slashed, and the withdrawal — every amount checked to the wei.

`ZKCREDITS_E2E_CALLS` sets the number of paid calls (default 20 to keep CI short; the demo makes
100). Everything is checked exactly whatever the count."""

from __future__ import annotations

import os
import socket
from collections import Counter
from pathlib import Path

import pytest
from zkcredits_testing.demo import DemoError, StoryResult, run_story
from zkcredits_testing.demo.agent import ON_PATH, ON_PATH_CALLS, READY
from zkcredits_testing.demo.stack import running_stack

pytestmark = pytest.mark.slow
CALLS = int(os.environ.get("ZKCREDITS_E2E_CALLS", "20"))
NOTES = 2


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _port_open(url: str) -> bool:
    host, port = url.removeprefix("http://").rstrip("/").split(":")
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, int(port))) == 0


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> StoryResult:
    return run_story(tmp_path_factory.mktemp("story"), calls=CALLS, notes=NOTES)


def test_every_call_of_the_agent_is_paid_and_the_costs_vary(story: StoryResult) -> None:
    modes = Counter(c.mode for c in story.calls)
    assert modes == {READY: CALLS, ON_PATH: ON_PATH_CALLS}
    # one proof per call at least (ready proofs are remade when a new checkpoint is final)
    assert len(story.prove_seconds) >= CALLS + ON_PATH_CALLS
    kinds = Counter(c.kind for c in story.calls)
    assert set(kinds) == {"chat", "stream", "embeddings"}
    costs = [c.cost for c in story.calls]
    assert all(c > 0 and c % 10 == 0 and c <= 1000 for c in costs)  # quantum 10, c_max 1000
    assert len(set(costs)) > 3


def test_ready_proof_calls_are_much_faster_than_calls_proving_on_their_path(
    story: StoryResult,
) -> None:
    """The same run, the same stack: what proving ahead of time takes off the call's path. The
    bound is loose (a loaded machine); bench/latency.py measures the real ratio."""
    ready = sorted(c.seconds for c in story.calls if c.mode == READY)
    on_path = sorted(c.seconds for c in story.calls if c.mode == ON_PATH)
    assert ready[len(ready) // 2] * 3 < on_path[len(on_path) // 2]


def test_the_agent_gets_back_exactly_its_deposit_minus_its_charges(story: StoryResult) -> None:
    charged = sum(c.cost for c in story.calls)
    w = story.withdrawal
    assert w.deposited == sum(story.deposits)
    assert w.charged == story.wallet_charged == charged and w.penalties == 0
    assert w.pulled_wei == (sum(story.deposits) - charged) * story.unit
    assert w.pulled_wei == w.expected_wei


def test_the_double_spender_is_refused_and_its_whole_deposit_goes_to_the_treasury(
    story: StoryResult,
) -> None:
    c = story.cheat
    assert (c.first_status, c.second_status, c.second_code) == (200, 409, "double_spend")
    assert c.treasury_gain_wei == c.slashed_units * story.unit > 0


def test_the_treasury_is_owed_the_finalized_charges_plus_the_slashed_deposit(
    story: StoryResult,
) -> None:
    charged = sum(c.cost for c in story.calls)
    assert story.withdrawal.treasury_gain_wei == charged * story.unit
    assert story.treasury_owed_wei == (charged + story.cheat.slashed_units) * story.unit


def test_every_chain_step_of_the_story_is_on_chain_with_its_gas(story: StoryResult) -> None:
    steps = {line.step: line for line in story.gas}
    assert steps["vault: deposit"].count == NOTES + 1  # the agent's notes and the cheater's
    assert steps["vault: slash"].count == 1
    for name in ("requestWithdrawal", "finalizeWithdrawal", "withdrawOwed"):
        assert steps[f"vault: {name}"].count == NOTES
    assert "vault: unknown call" not in steps
    assert all(line.total > 21_000 * line.count for line in story.gas)


def test_the_story_stops_anvil_and_the_gateway_it_started(story: StoryResult) -> None:
    assert story.anvil_pid > 0 and not _alive(story.anvil_pid)
    assert story.gateway_url and not _port_open(story.gateway_url)


def test_a_failing_stage_still_stops_everything(tmp_path: Path) -> None:
    with pytest.raises(DemoError), running_stack(tmp_path) as stack:
        pid, url = stack.anvil_pid, stack.gateway_url
        assert _alive(pid) and _port_open(url)
        raise DemoError("a stage failed")
    assert not _alive(pid) and not _port_open(url)


def test_a_story_without_calls_is_refused_before_anything_starts(tmp_path: Path) -> None:
    with pytest.raises(DemoError, match="calls=0"):
        run_story(tmp_path / "never", calls=0)
    assert not (tmp_path / "never").exists()


def test_the_demo_command_refuses_a_call_count_below_one() -> None:
    from typer.testing import CliRunner

    from prover.cli.main import app

    result = CliRunner().invoke(app, ["demo", "--calls", "0"])
    assert result.exit_code == 2
    assert "calls" in result.output
