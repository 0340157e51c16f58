"""`root_ttl` must leave a usable root at every moment: epoch + finality lag + margin (§11)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web3 import Web3
from zkcredits_testing.devchain import DevChain
from zkcredits_testing.devprovider import dev_config

from prover.chain.deploy.errors import DeployError
from prover.chain.deploy.service import check_root_window
from prover.chain.root_window import (
    finality_lag,
    required_root_ttl,
    root_window_problem,
)
from prover.toolchain.anvil import AnvilProcess, ChainInfo


def _usable_at_every_moment(root_epoch: int, root_ttl: int, lag: int, travel: int) -> bool:
    """Brute force over two epochs, every half second: at time t the final view is at t - lag,
    its newest checkpoint is the epoch boundary at or before it, accepted until boundary +
    root_ttl, and a proof made at t arrives at t + travel."""
    for half in range(2 * (lag + 2 * root_epoch), 2 * (lag + 4 * root_epoch)):
        t = half / 2
        boundary = (t - lag) // root_epoch * root_epoch
        if boundary + root_ttl < t + travel:
            return False
    return True


@pytest.mark.parametrize(("epoch", "lag"), [(60, 0), (60, 45), (120, 900), (600, 0)])
def test_the_required_ttl_leaves_a_root_usable_at_every_moment_and_one_less_does_not(
    epoch: int, lag: int
) -> None:
    need = required_root_ttl(epoch, lag)
    travel = max(300, lag)  # what the margin is for
    assert _usable_at_every_moment(epoch, need, lag, travel)
    assert not _usable_at_every_moment(epoch, need - 1, lag, travel)
    assert root_window_problem(epoch, need, lag) is None
    assert root_window_problem(epoch, need - 1, lag) is not None


@pytest.fixture(scope="module")
def testnet() -> Iterator[ChainInfo]:
    with AnvilProcess(extra_args=["--chain-id", "4242"]) as info:
        yield info


def test_the_lag_is_zero_on_a_local_chain(anvil: ChainInfo) -> None:
    assert finality_lag(Web3(Web3.HTTPProvider(anvil.rpc_url))) == 0


def test_the_lag_elsewhere_is_how_far_the_finalized_block_trails_the_head(
    testnet: ChainInfo,
) -> None:
    w3 = Web3(Web3.HTTPProvider(testnet.rpc_url))
    dev = DevChain(w3)
    start = dev.timestamp()
    for i in range(1, 81):  # Anvil finalizes 64 blocks behind the head
        dev.advance_to(start + 7 * i)
    head = w3.eth.get_block("latest")
    final = w3.eth.get_block("finalized")
    assert head["number"] - final["number"] == 64
    assert finality_lag(w3) == head["timestamp"] - final["timestamp"] == 64 * 7


def test_deploy_refuses_a_ttl_the_chains_lag_would_leave_without_a_root(
    testnet: ChainInfo,
) -> None:
    w3 = Web3(Web3.HTTPProvider(testnet.rpc_url))
    config = dev_config(1234, "https://g.test/", root_epoch=600, root_ttl=1800)
    assert check_root_window(w3, config.model_copy(update={"finality_lag_seconds": 0})) == 0
    with pytest.raises(DeployError) as info:
        check_root_window(w3, config.model_copy(update={"finality_lag_seconds": 900}))
    assert info.value.field == "root_ttl" and "2400" in str(info.value)
    lag = finality_lag(w3)
    assert check_root_window(w3, config) == lag  # measured when the config gives none
