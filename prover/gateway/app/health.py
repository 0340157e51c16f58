"""`GET /healthz` and fail-fast outages: the chain view, the upstream, the store.

`/healthz` answers from state kept in memory (the chain loop's last sync, the upstream probe's
last result) plus one point read of the store, so it never waits on the chain or the upstream:

    {"status": "ok" | "degraded" | "syncing" | "unavailable",
     "chain": {"synced", "last_block", "head_block", "finality_lag_blocks", "finality", ...},
     "upstream": {"reachable", "checked_seconds_ago", "error"},
     "store": {"ok", "backend", "latency_ms", "error"}}

`200` for `ok` and `degraded` (upstream unreachable: paid calls are refused fast, unpaid ones are
served), `503` for `syncing` (the chain view is not synced: nothing but `/healthz` is served) and
`unavailable` (the store fails). Use it as a readiness check.

`UpstreamMonitor` probes the upstream's base URL every `interval` seconds (any HTTP answer, even
401 or 404, means reachable; a connection failure or timeout means unreachable). While the last
probe failed, paid calls get `503 upstream_unavailable` *before* their ticket is reserved, so the
caller keeps the ticket and no call waits on a dead upstream.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from anyio import to_thread
from pydantic import BaseModel, ConfigDict

from prover.gateway.ports import ChainView
from prover.gateway.store import NullifierStore
from prover.logs import get_logger

log = get_logger("zkcredits.gateway.health")


class ChainHealth(BaseModel):
    """The chain side's state, read without any RPC call (`prover.gateway.chain.health`).

    `finality_lag_blocks`: the head minus the newest ingested (final) block, as of the last
    sync; `last_sync_age_seconds`: since the last sync that reached the finality point."""

    model_config = ConfigDict(frozen=True)

    synced: bool
    chain_id: int
    finality: str
    last_block: int | None
    head_block: int | None
    finality_lag_blocks: int | None
    last_sync_age_seconds: float | None
    slasher_lease: bool
    open_slash_jobs: int | None
    error: str | None


class UpstreamMonitor:
    """`available()` is False only while the newest probe failed."""

    def __init__(
        self,
        base_url: str,
        *,
        interval: float,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url
        self.interval = interval
        self.timeout = timeout
        self._transport = transport
        self.reachable: bool | None = None
        self.error: str | None = None
        self.checked_at: float | None = None

    def available(self) -> bool:
        return self.reachable is not False

    async def probe(self) -> bool:
        try:
            async with httpx.AsyncClient(
                timeout=self.timeout, transport=self._transport, follow_redirects=False
            ) as client:
                await client.get(self.base_url)
            ok, error = True, None
        except httpx.HTTPError as exc:
            ok, error = False, type(exc).__name__
        if ok != self.reachable:
            (log.info if ok else log.warning)("upstream_reachability", reachable=ok, error=error)
        self.reachable, self.error, self.checked_at = ok, error, time.monotonic()
        return ok

    async def run(self) -> None:
        """Probe forever (cancel the task to stop)."""
        while True:
            await self.probe()
            await asyncio.sleep(self.interval)

    def report(self) -> dict[str, Any]:
        age = None if self.checked_at is None else round(time.monotonic() - self.checked_at, 3)
        return {"reachable": self.reachable, "checked_seconds_ago": age, "error": self.error}


@dataclass
class HealthSources:
    store: NullifierStore
    chain: ChainView
    chain_health: Callable[[], ChainHealth] | None = None
    upstream: UpstreamMonitor | None = None

    def _store_check(self) -> dict[str, Any]:
        start = time.perf_counter()
        try:
            self.store.get_record(0)  # one point read: the store answers
        except Exception as exc:
            return {"ok": False, "backend": self.store.backend, "error": type(exc).__name__}
        ms = round((time.perf_counter() - start) * 1000, 3)
        return {"ok": True, "backend": self.store.backend, "latency_ms": ms, "error": None}

    async def report(self) -> tuple[int, dict[str, Any]]:
        store = await to_thread.run_sync(self._store_check)
        if self.chain_health is not None:  # may read a shared job store: off the event loop
            chain: dict[str, Any] = (await to_thread.run_sync(self.chain_health)).model_dump()
        else:
            chain = {"synced": self.chain.is_synced()}
        upstream = self.upstream.report() if self.upstream is not None else {"reachable": None}
        if not chain["synced"]:
            status = "syncing"
        elif not store["ok"]:
            status = "unavailable"
        elif upstream["reachable"] is False:
            status = "degraded"
        else:
            status = "ok"
        code = 200 if status in ("ok", "degraded") else 503
        return code, {"status": status, "chain": chain, "upstream": upstream, "store": store}

    def gauges(self) -> dict[str, float | None]:
        """For the metrics (scrape time)."""
        chain = self.chain_health() if self.chain_health is not None else None
        reachable = None if self.upstream is None else self.upstream.reachable
        return {
            "zkcredits_chain_synced": float(self.chain.is_synced()),
            "zkcredits_chain_last_block": None if chain is None else chain.last_block,
            "zkcredits_chain_finality_lag_blocks": None
            if chain is None
            else chain.finality_lag_blocks,
            "zkcredits_slasher_lease_held": None if chain is None else float(chain.slasher_lease),
            "zkcredits_upstream_reachable": None if reachable is None else float(reachable),
            "zkcredits_store_ok": float(self._store_check()["ok"]),
        }
