"""The random pre-send delay of PROTOCOL §13.

Before each call the client waits a delay drawn afresh from a uniform distribution on
`[min_s, max_s]` (`ZKCREDITS_SEND_DELAY_MIN_S` / `_MAX_S`). The draw takes no input: it does not
depend on when the previous reply came, so the gap between a reply and the next request carries
no information about the client beyond the configured bounds. The RNG and the sleep function are
injectable for tests; the default RNG is the OS's (`random.SystemRandom`).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable

from pydantic import BaseModel, ConfigDict, Field, model_validator

from prover.client.transport.config import TransportSettings
from prover.client.transport.errors import TransportConfigError


class DelayBounds(BaseModel):
    """Bounds (seconds) of the uniform pre-send delay."""

    model_config = ConfigDict(frozen=True)

    min_s: float = Field(ge=0)
    max_s: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> DelayBounds:
        if self.max_s < self.min_s:
            raise TransportConfigError(
                f"delay bounds: max_s={self.max_s} is below min_s={self.min_s}"
            )
        return self

    @classmethod
    def from_settings(cls, settings: TransportSettings) -> DelayBounds:
        return cls(min_s=settings.send_delay_min_s, max_s=settings.send_delay_max_s)


class PreSendDelay:
    """Draws and waits the random delay before each call."""

    def __init__(
        self,
        bounds: DelayBounds,
        *,
        rng: random.Random | None = None,
        sleep: Callable[[float], None] = time.sleep,
        async_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.bounds = bounds
        self._rng = rng if rng is not None else random.SystemRandom()
        self._sleep = sleep
        self._async_sleep = async_sleep

    def draw(self) -> float:
        """A fresh delay in `[min_s, max_s]`."""
        return self._rng.uniform(self.bounds.min_s, self.bounds.max_s)

    def wait(self) -> float:
        """Sleep a fresh random delay; return it."""
        delay = self.draw()
        self._sleep(delay)
        return delay

    async def await_delay(self) -> float:
        """Async twin of `wait`."""
        delay = self.draw()
        await self._async_sleep(delay)
        return delay
