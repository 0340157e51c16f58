"""The random pre-send delay (PROTOCOL §13): drawn afresh per call within configured bounds."""

from __future__ import annotations

import asyncio
import random
import re

import pytest

from prover.client.transport.config import TransportSettings
from prover.client.transport.delay import DelayBounds, PreSendDelay
from prover.client.transport.errors import TransportConfigError


def test_each_wait_sleeps_a_fresh_uniform_draw_within_the_bounds() -> None:
    slept: list[float] = []
    delay = PreSendDelay(
        DelayBounds(min_s=0.5, max_s=3.0), rng=random.Random(7), sleep=slept.append
    )
    returned = [delay.wait() for _ in range(200)]
    reference = random.Random(7)
    assert slept == returned == [reference.uniform(0.5, 3.0) for _ in range(200)]
    assert all(0.5 <= d <= 3.0 for d in slept)
    assert len(set(slept)) == 200


def test_the_async_wait_awaits_the_same_kind_of_draw() -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    delay = PreSendDelay(
        DelayBounds(min_s=1.0, max_s=2.0), rng=random.Random(3), async_sleep=fake_sleep
    )
    got = asyncio.run(delay.await_delay())
    assert slept == [got] == [random.Random(3).uniform(1.0, 2.0)]


def test_equal_bounds_give_a_constant_delay_and_zero_disables_it() -> None:
    slept: list[float] = []
    PreSendDelay(DelayBounds(min_s=0.0, max_s=0.0), sleep=slept.append).wait()
    PreSendDelay(DelayBounds(min_s=1.5, max_s=1.5), sleep=slept.append).wait()
    assert slept == [0.0, 1.5]


def test_bounds_come_from_the_settings() -> None:
    settings = TransportSettings(send_delay_min_s=0.25, send_delay_max_s=4.0)
    assert DelayBounds.from_settings(settings) == DelayBounds(min_s=0.25, max_s=4.0)


def test_inverted_or_negative_bounds_are_refused() -> None:
    with pytest.raises(TransportConfigError, match=re.escape("max_s=1.0 is below min_s=2.0")):
        DelayBounds(min_s=2.0, max_s=1.0)
    with pytest.raises(ValueError, match="min_s"):
        DelayBounds(min_s=-1.0, max_s=1.0)
