"""Gateway throughput and per-call overhead: `.venv/bin/python bench/gateway.py [--notes N]`.

    .venv/bin/python bench/gateway.py [--notes 48] [--rounds 5] [--min-seconds 8]

Full paid path in process: httpx → ASGI → the FastAPI gateway (header decoding, public-input
checks, x recomputation, real Groth16 verification, SQLite reserve/complete with fsync, signing)
→ the embedded offline upstream through the real `HttpUpstream` (ASGI transport) → reply.

Proofs: one real proof per distinct note (a genesis ticket each), generated once and cached in
build/bench/ (keyed by day and key hash). A ticket can be paid only once per store, so every
round runs on a fresh SQLite store: N notes × R rounds paid calls, every one a first payment.
Throughput runs rounds until at least --rounds rounds and --min-seconds of timed calls, and
reports the overall rate with the median, min and max per-round rate.

Pre-flight cost, side by side in the same run: the sequential latency rounds run twice, with the
new checks on (the shared pre-flight `prover.pricing.preflight` before reservation and again
when serving, plus the request policy on the decoded body before forwarding) and off (the same
code with those three replaced by constants), and their own time per call is a row of its own.

Reference in the same run: per-call Groth16 verification by snarkjs (one warm Node process, same
proofs and vk; timed inside Node and as a round trip from Python) beside ours, and the gateway
overhead p50 with snarkjs substituted for our verifier, derived as ours − our verify + snarkjs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
from reference.groth16_verify import compare_verify, gateway_comparison
from reference.timing import print_comparison

from prover.circuits.compiler import compile_circuit
from prover.circuits.inputs import CallParams, Note, NoteState, ServiceParams, request_inputs
from prover.circuits.prover import CircuitKeys, Prover
from prover.crypto import LeanIMT, eta, leaf, note_id, public_key, rho0
from prover.crypto.request_hash import RequestFields
from prover.crypto.ticket_key import TicketKey
from prover.gateway.app import GatewaySettings, checks, create_app
from prover.gateway.app.serve import CallServer
from prover.gateway.app.wiring import WiringOptions, build_policy, build_upstream
from prover.gateway.embedded import EmbeddedUpstreamProcess
from prover.gateway.ports import ForwardReply, ForwardRequest, ForwardStream, Upstream
from prover.gateway.store import NullifierRecord, SqliteNullifierStore, StoredReply
from prover.pricing import preflight
from prover.pricing.schedule import ModelPrice, PriceRoute, PriceSchedule, RouteKind
from prover.wire import PaymentSignature, decode_header, encode_header, signed_payment
from prover.wire.required import VkHashes

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "build" / "bench"
RESULTS = ROOT / "bench" / "results" / "gateway.json"
SERVER_SK = 0x0BE4C4A1E5C1A55E5BADC0FFEE0DDBA11CAFEF00D5EED5A1757EA5A1ADB0071
TARGET_CALLS_PER_S = 200.0
TARGET_OVERHEAD_P50_MS = 10.0
TARGET_PREFLIGHT_ADDED_P50_MS = 0.5
MAX_ROUNDS = 1000
OVERHEAD = "gateway overhead (server time − upstream)"
OVERHEAD_OFF = "gateway overhead, pre-flight checks off"
DEPOSIT = 1000
CHAT = "/v1/chat/completions"
SCHEDULE = PriceSchedule(
    quantum=2,
    c_max=50,
    routes=(
        PriceRoute(
            method="POST",
            path=CHAT,
            kind=RouteKind.CHAT,
            models={
                "zk-embedded-chat": ModelPrice(
                    flat=2, per_1k_input_tokens=100, per_1k_output_tokens=200, max_output_tokens=32
                )
            },
        ),
    ),
)
SETTINGS = GatewaySettings(
    chain_id=31337,
    vault="0x" + "be" * 20,
    unit=10**9,
    c_max=50,
    reserve=30,
    penalty_max=25,
    price_schedule=SCHEDULE,
    vk_hashes=VkHashes(request=b"\x01" * 32, withdraw=b"\x02" * 32, slash=b"\x03" * 32),
    unpaid_burst=10**6,
)
SID = SETTINGS.service_id


def secrets_for(n: int) -> list[int]:
    return [0xBE4C0000 + 104729 * i for i in range(n)]


class BenchChainView:
    """The bench's honest chain view: the roots of a real LeanIMT of the bench notes."""

    def __init__(self, tree: LeanIMT, ids: set[int]) -> None:
        self.root, self.ids = tree.root, ids

    def is_synced(self) -> bool:
        return True

    def is_accepted_root(self, root: int, now: float) -> bool:
        return root == self.root

    def is_deposited_id(self, note_id: int) -> bool:
        return note_id in self.ids


def make_payments(keys: CircuitKeys, n: int, day: int) -> list[dict[str, str]]:
    """n real proofs (one per note), cached on disk for the day."""
    cache = CACHE / f"gateway-proofs-v3-{day}-{keys.manifest.vk_hash[2:14]}-{n}.json"
    if cache.exists():
        return json.loads(cache.read_text())  # type: ignore[no-any-return]
    ks = secrets_for(n)
    expiry = day + 30
    tree = LeanIMT([leaf(note_id(k), DEPOSIT, expiry) for k in ks])
    service = ServiceParams(SID, 50, 30, 25, public_key(SERVER_SK))
    out = []
    with Prover(keys) as prover:
        for i, k in enumerate(ks):
            body = (
                '{"model":"zk-embedded-chat","max_tokens":16,'
                f'"messages":[{{"role":"user","content":"bench call {i}"}}]}}'
            ).encode()
            rid = i.to_bytes(16, "big")
            fields = RequestFields.create(
                method="POST", path=CHAT, body=body, service_id=SID, today=day, request_id=rid
            )
            key = TicketKey.generate()  # v3: x = H(pk) of the ticket's one-time key
            call = CallParams(x=key.x, today=day, eta=eta(k, 0, SID))
            note = Note(k=k, D=DEPOSIT, expiry=expiry, proof=tree.proof(i))
            state = NoteState.genesis(rho0(k, SID))
            proof = prover.prove(request_inputs(note, state, service, call))
            header = signed_payment(
                network="eip155:31337",
                proof=proof.calldata,
                public_signals=[int(s) for s in proof.public_signals],
                key=key,
                request=fields,
            )
            out.append({"body": body.decode(), "header": encode_header(header)})
            print(f"\rproving {i + 1}/{n}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    CACHE.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(out))
    return out


class Timings:
    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = {}

    def add(self, name: str, seconds: float) -> None:
        self.samples.setdefault(name, []).append(seconds * 1e3)

    def timed(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*args)
            finally:
                self.add(name, time.perf_counter() - t)

        return run


class TimedStore(SqliteNullifierStore):
    """The real SQLite store with its two per-call writes timed."""

    timings: Timings

    def reserve(self, *args: Any) -> Any:
        return self.timings.timed("store", super().reserve)(*args)

    def complete(self, nullifier: int, x: int, reply: StoredReply) -> NullifierRecord:
        return self.timings.timed("store", super().complete)(nullifier, x, reply)  # type: ignore[no-any-return]


class TimedUpstream:
    def __init__(self, inner: Upstream, timings: Timings) -> None:
        self.inner, self.timings = inner, timings

    async def forward(self, request: ForwardRequest) -> ForwardReply:
        t = time.perf_counter()
        try:
            return await self.inner.forward(request)
        finally:
            self.timings.add("upstream", time.perf_counter() - t)

    async def forward_stream(self, request: ForwardRequest) -> ForwardStream:
        return await self.inner.forward_stream(request)


async def run_round(
    keys: CircuitKeys,
    payments: Sequence[dict[str, str]],
    ids: set[int],
    tree: LeanIMT,
    concurrency: int,
    timings: Timings,
    upstream_url: str,
) -> tuple[float, int]:
    with tempfile.TemporaryDirectory(prefix="zkc-bench-") as tmp:
        store = TimedStore(Path(tmp) / "store.db")
        store.timings = timings
        app = create_app(
            SETTINGS,
            chain=BenchChainView(tree, ids),
            upstream=TimedUpstream(build_upstream(WiringOptions(upstream=upstream_url)), timings),
            policy=build_policy(SETTINGS),
            store=store,
            keys=timings.timed("verify", lambda p, s: keys.verify(p, list(s))),
            server_secret=SERVER_SK,
        )
        signer = app.state.pipeline.server.signer
        signer.next_state = timings.timed("sign", signer.next_state)
        inner_app = app

        async def served(scope: Any, receive: Any, send: Any) -> None:
            t = time.perf_counter()
            await inner_app(scope, receive, send)
            timings.add("server", time.perf_counter() - t)

        queue: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        for p in payments:
            queue.put_nowait(p)
        ok = 0
        transport = httpx.ASGITransport(app=served)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:

            async def worker() -> None:
                nonlocal ok
                while not queue.empty():
                    p = queue.get_nowait()
                    t = time.perf_counter()
                    r = await client.post(
                        CHAT, content=p["body"], headers={"PAYMENT-SIGNATURE": p["header"]}
                    )
                    timings.add("total", time.perf_counter() - t)
                    ok += r.status_code == 200 and "PAYMENT-RESPONSE" in r.headers

            start = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            elapsed = time.perf_counter() - start
        store.close()
        return elapsed, ok


class PreflightSwitch:
    """Times the new pre-flight checks at their three call sites (`checks.check_work_cap` before
    reservation, `CallServer._prepare` and the request policy `CallServer._penalised` when
    serving), or turns them off (constants in their place)."""

    def __init__(self, timings: Timings, on: bool, body: bytes) -> None:
        self.timings, self.on = timings, on
        self.fixed = preflight.check(SCHEDULE, SCHEDULE.routes[0], body)
        self.saved = (
            preflight.check, preflight.bound, checks.check_work_cap,
            CallServer._prepare, CallServer._penalised,
        )  # fmt: skip

    def __enter__(self) -> PreflightSwitch:
        _, _, work_cap, prepare, penalised = self.saved
        if self.on:
            checks.check_work_cap = self.timings.timed("preflight", work_cap)  # type: ignore[assignment]
            CallServer._prepare = self.timings.timed("preflight", prepare)  # type: ignore[method-assign]

            async def timed_policy(server: CallServer, call: Any, request: Any) -> Any:
                t = time.perf_counter()
                try:
                    return await penalised(server, call, request)
                finally:
                    self.timings.add("preflight", time.perf_counter() - t)

            CallServer._penalised = timed_policy  # type: ignore[method-assign]
        else:
            preflight.check = lambda *a: self.fixed  # type: ignore[assignment]
            preflight.bound = lambda *a: self.fixed  # type: ignore[assignment]

            async def no_policy(server: CallServer, call: Any, request: Any) -> None:
                return None

            CallServer._penalised = no_policy  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        (
            preflight.check, preflight.bound, checks.check_work_cap,
            CallServer._prepare, CallServer._penalised,
        ) = self.saved  # type: ignore[method-assign]  # fmt: skip


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--notes", type=int, default=48)
    parser.add_argument("--rounds", type=int, default=5, help="throughput rounds, at least")
    parser.add_argument("--min-seconds", type=float, default=8.0, help="timed throughput, at least")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--upstream",
        choices=["process", "in-process"],
        default="in-process",
        help="embedded upstream in the gateway process (default) or as its own uvicorn process",
    )
    args = parser.parse_args()
    if args.upstream == "process":
        with EmbeddedUpstreamProcess() as url:
            measure(args, url)
    else:
        measure(args, "embedded")


def measure(args: argparse.Namespace, upstream_url: str) -> None:
    day = int(time.time()) // 86_400
    compile_circuit("request")
    keys = CircuitKeys.load("request")
    payments = make_payments(keys, args.notes, day)
    ks = secrets_for(args.notes)
    tree = LeanIMT([leaf(note_id(k), DEPOSIT, day + 30) for k in ks])
    ids = {note_id(k) for k in ks}

    latency = Timings()  # sequential: the per-call split without queueing
    checks_off = Timings()  # the same, with the pre-flight checks off
    body = payments[0]["body"].encode()
    for _ in range(2):
        with PreflightSwitch(checks_off, False, body):
            asyncio.run(run_round(keys, payments, ids, tree, 1, checks_off, upstream_url))
        with PreflightSwitch(latency, True, body):
            asyncio.run(run_round(keys, payments, ids, tree, 1, latency, upstream_url))
    overhead = [
        t - u for t, u in zip(latency.samples["server"], latency.samples["upstream"], strict=False)
    ]
    overhead_off = [
        t - u
        for t, u in zip(checks_off.samples["server"], checks_off.samples["upstream"], strict=False)
    ]
    per_call_preflight = [
        sum(latency.samples["preflight"][i : i + 3])
        for i in range(0, len(latency.samples["preflight"]) - 2, 3)
    ]
    client_view = [
        t - u for t, u in zip(latency.samples["total"], latency.samples["upstream"], strict=False)
    ]

    throughput = Timings()
    rates: list[float] = []
    calls = seconds = 0.0
    served = 0
    while len(rates) < args.rounds or (seconds < args.min_seconds and len(rates) < MAX_ROUNDS):
        elapsed, ok = asyncio.run(
            run_round(keys, payments, ids, tree, args.concurrency, throughput, upstream_url)
        )
        calls += len(payments)
        served += ok
        seconds += elapsed
        rates.append(len(payments) / elapsed)
    rate = calls / seconds
    proofs = []
    for p in payments:
        payload = decode_header(p["header"], PaymentSignature, "PAYMENT-SIGNATURE").payload
        proofs.append((bytes(payload.proof), payload.public_signals))
    verify = compare_verify(keys, proofs)

    rows = {
        name: {"p50_ms": round(pct(v, 0.5), 3), "p99_ms": round(pct(v, 0.99), 3), "n": len(v)}
        for name, v in (
            ("verify", latency.samples["verify"]),
            ("store (reserve + complete)", _pairs(latency.samples["store"])),
            ("sign", latency.samples["sign"]),
            ("upstream (embedded)", latency.samples["upstream"]),
            (OVERHEAD, overhead),
            ("same, seen by the in-process client", client_view),
            ("pre-flight checks (check + bound + request policy)", per_call_preflight),
            (OVERHEAD_OFF, overhead_off),
        )
    }
    overhead_p50 = rows[OVERHEAD]["p50_ms"]
    added = round(overhead_p50 - rows[OVERHEAD_OFF]["p50_ms"], 3)
    result: dict[str, Any] = {
        "machine": f"{os.cpu_count()} cores (shared)",
        "loadavg_1m_end": round(os.getloadavg()[0], 2),
        "notes": args.notes,
        "rounds": len(rates),
        "concurrency": args.concurrency,
        "method": "in-process httpx ASGI client → gateway app; one real proof per note; fresh "
        "SQLite store (synchronous=FULL) per round so each call is a first payment; embedded "
        "upstream through the real HttpUpstream, "
        + (
            "as its own uvicorn process on loopback"
            if upstream_url != "embedded"
            else "in the gateway process (ASGI transport)"
        ),
        "paid_calls": int(calls),
        "served_ok": served,
        "timed_s": round(seconds, 2),
        "paid_calls_per_s": round(rate, 1),
        "paid_calls_per_s_per_round": {
            "median": round(statistics.median(rates), 1),
            "min": round(min(rates), 1),
            "max": round(max(rates), 1),
        },
        "target_paid_calls_per_s": TARGET_CALLS_PER_S,
        "latency_sequential": rows,
        "target_overhead_p50_ms": TARGET_OVERHEAD_P50_MS,
        "preflight_added_overhead_p50_ms": added,
        "target_preflight_added_p50_ms": TARGET_PREFLIGHT_ADDED_P50_MS,
        "preflight_meets_target": added <= TARGET_PREFLIGHT_ADDED_P50_MS,
        "overhead_p50_meets_target": overhead_p50 <= TARGET_OVERHEAD_P50_MS,
        "throughput_meets_target": rate >= TARGET_CALLS_PER_S,
        "verify_reference": verify,
        "comparison": gateway_comparison(verify, rows["verify"]["p50_ms"], overhead_p50),
    }
    print(f"\n{'measure':<44}{'p50 ms':>10}{'p99 ms':>10}{'target':>14}")
    for name, row in rows.items():
        target = f"≤ {TARGET_OVERHEAD_P50_MS} p50" if name.startswith("gateway") else ""
        print(f"{name:<44}{row['p50_ms']:>10.2f}{row['p99_ms']:>10.2f}{target:>14}")
    per_round = result["paid_calls_per_s_per_round"]
    print(
        f"{'paid calls / s (concurrency ' + str(args.concurrency) + ')':<44}{rate:>20.1f}"
        f"{'≥ ' + str(TARGET_CALLS_PER_S):>14}\n"
        f"  over {len(rates)} rounds, {seconds:.1f} s timed; per round: median "
        f"{per_round['median']}, min {per_round['min']}, max {per_round['max']}"
    )
    print(f"served {served}/{int(calls)} calls with a PAYMENT-RESPONSE")
    print(
        f"pre-flight checks add {added:.3f} ms to overhead p50 (on − off, same run; "
        f"target ≤ {TARGET_PREFLIGHT_ADDED_P50_MS} ms)"
    )
    print_comparison(result["comparison"], "gateway: ours vs snarkjs (ratio = reference / ours)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


def _pairs(samples: list[float]) -> list[float]:
    """reserve and complete alternate per sequential call: sum them pairwise."""
    return [a + b for a, b in zip(samples[0::2], samples[1::2], strict=False)]


if __name__ == "__main__":
    main()
