"""Fail fast while the gateway is down, and settle what a failure left pending once it is back.

A paid call that found the gateway unreachable (after the payer's resends of the same request)
marks it down. While it is down, each new paid call first probes it (the unpaid terms request,
bounded by `probe_timeout_s`): if the probe fails, the call is refused at once with
`gateway_unreachable`, before any note is leased or any ticket bound, so an outage strands
nothing more. The first probe that gets any HTTP answer marks the gateway up and starts
`on_back` (the payer's `settle_pending`, which resends every ticket left bound) in the background.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from prover.client.errors import GatewayUnreachableError
from prover.client.profile import ProviderPin
from prover.client.transport.errors import TransportError
from prover.client.transport.private import AsyncPrivateTransport
from prover.logs import get_logger

log = get_logger("zkcredits.client.proxy")
Probe = Callable[[], Awaitable[None]]


def gateway_probe(transport: AsyncPrivateTransport, pin: ProviderPin, timeout_s: float) -> Probe:
    """An unpaid request for the terms of the schedule's first route: any HTTP reply is an
    answer (the gateway replies 402)."""
    route = pin.price_schedule.routes[0]
    url = pin.gateway_url.rstrip("/") + route.path

    async def probe() -> None:
        try:
            async with asyncio.timeout(timeout_s):
                await transport.request(route.method, url, headers={"Accept": "application/json"})
        except TimeoutError as exc:
            raise TransportError(f"no answer within {timeout_s} s") from exc

    return probe


def _origin(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0]


@dataclass
class GatewayGate:
    probe: Probe
    gateway_url: str
    on_back: Callable[[], Awaitable[object]] | None = None
    clock: Callable[[], float] = time.monotonic
    down_since: float | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def check(self) -> None:
        """Before a paid call: refuse it at once while the gateway stays unreachable."""
        if self.down_since is None:
            return
        try:
            await self.probe()
        except (TransportError, GatewayUnreachableError) as exc:
            down = int(self.clock() - self.down_since)
            raise GatewayUnreachableError(
                f"the gateway {_origin(self.gateway_url)} does not answer (unreachable for "
                f"{down} s; last check: {type(exc).__name__}): nothing was paid, retry later"
            ) from exc
        self.up()

    def up(self) -> None:
        if self.down_since is None:
            return
        self.down_since = None
        log.info("gateway_reachable")
        if self.on_back is not None:
            task = asyncio.get_running_loop().create_task(self._settle(self.on_back))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def failed(self, exc: BaseException) -> None:
        """After a call failed: an unreachable gateway is remembered until a probe answers."""
        if isinstance(exc, GatewayUnreachableError | TransportError) and self.down_since is None:
            self.down_since = self.clock()
            log.warning("gateway_unreachable", gateway=_origin(self.gateway_url))

    async def _settle(self, settle: Callable[[], Awaitable[object]]) -> None:
        try:
            settled = await settle()
        except Exception as exc:  # logged, never raised into the event loop
            log.warning("pending_tickets_not_settled", error_type=type(exc).__name__)
            return
        if isinstance(settled, list) and settled:
            log.info("pending_tickets_settled", count=len(settled))
