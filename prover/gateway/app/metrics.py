"""The gateway's Prometheus metrics (`prometheus-client`), served on their own listener.

Why not on the public port: the public port is where anonymous callers come; per-call counts
and latencies are operational data that help correlate calls (PROTOCOL §14), so `/metrics`
listens on `metrics_host:metrics_port` (127.0.0.1 by default, off unless a port is set).

Each gateway process has its own registry (Prometheus sums replicas). Counters: paid calls by
reserve outcome, signed states by result, charged and penalty units, error replies by code, slash
jobs by event; histograms: verify, store (by operation) and sign latency; gauges read from the
health state at scrape time. The full table is in docs/operations.md ("Metrics").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from prover.gateway.app.errors import GatewayConfigError

_LATENCY = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class _Snapshot(Collector):
    """Gauges computed at scrape time from `gauges()` (name → value, None = unknown)."""

    def __init__(self, gauges: Callable[[], dict[str, float | None]]) -> None:
        self._gauges = gauges

    def collect(self) -> Iterable[Metric]:
        try:
            values = self._gauges()
        except Exception:  # a scrape must not fail because one source is down
            values = {}
        for name, value in sorted(values.items()):
            if value is not None:
                yield GaugeMetricFamily(name, name.removeprefix("zkcredits_"), value=value)


class GatewayMetrics:
    """One registry per gateway (tests run several apps in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.paid_calls = Counter(
            "zkcredits_paid_calls", "Paid calls by reserve outcome", ["outcome"], registry=r
        )
        self.settled = Counter(
            "zkcredits_calls_settled", "Signed states stored, by result", ["result"], registry=r
        )
        self.charged = Counter("zkcredits_charged_units", "Sum of charged cost", registry=r)
        self.penalties = Counter("zkcredits_penalty_units", "Sum of penalties", registry=r)
        self.refusals = Counter("zkcredits_refusals", "Error replies by code", ["code"], registry=r)
        self.verify_seconds = Histogram(
            "zkcredits_verify_seconds", "Groth16 verification", buckets=_LATENCY, registry=r
        )
        self.store_seconds = Histogram(
            "zkcredits_store_seconds", "Nullifier store", ["op"], buckets=_LATENCY, registry=r
        )
        self.sign_seconds = Histogram(
            "zkcredits_sign_seconds", "Signing a next state", buckets=_LATENCY, registry=r
        )
        self.slashes = Counter("zkcredits_slashes", "Slash jobs by event", ["event"], registry=r)
        self._server: Any = None

    def slash_event(self, event: str) -> None:
        self.slashes.labels(event=event).inc()

    def refusal(self, code: str) -> None:
        self.refusals.labels(code=code).inc()

    @contextmanager
    def timed(self, histogram: Histogram, **labels: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            target = histogram.labels(**labels) if labels else histogram
            target.observe(time.perf_counter() - start)

    def watch(self, gauges: Callable[[], dict[str, float | None]]) -> None:
        """Export `gauges()` at every scrape."""
        self.registry.register(_Snapshot(gauges))

    def serve(self, host: str, port: int) -> int:
        """Start `/metrics` on its own listener (a daemon thread); returns the bound port."""
        try:
            self._server, _thread = start_http_server(port, addr=host, registry=self.registry)
        except OSError as exc:
            raise GatewayConfigError(
                f"metrics_port: cannot listen on {host}:{port}: {exc.strerror}",
                field="metrics_port",
            ) from exc
        return int(self._server.server_address[1])

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
