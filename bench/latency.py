"""Paid-call latency seen by an agent, with proofs made ahead of time against proofs made on the
call's path, in one run on one stack; and the rate of back-to-back calls with 1 and 4 notes.

    .venv/bin/python bench/latency.py [--calls 200] [--rate-calls 40]

The stack (`zkcredits_testing.demo.stack.running_stack`): Anvil, the deployment, the gateway
with its chain
side, the embedded upstream; then the prover service (`zkcredits client serve`'s code: the proxy,
its process pool of provers, ready proofs) called by the official `openai` client. The random
pre-send delay of §13 (`ZKCREDITS_SEND_DELAY_*`, a privacy knob, 0–2 s by default) is set to 0
here: it is the user's choice to trade latency for unlinkability, not the protocol's cost.

- on path (the reference, ready proofs off): every call journals its request, proves, sends;
- ready proofs: before each call the agent waits until every note's next proof is ready and no
  proof is being made (its think time, not counted: it calls at a pace its proofs keep up with);
  the call then does no proving;
- back to back, ready proofs on: 1 note with 1 caller, 4 notes with 4 callers; calls per second.

The journal's fsyncs are on every call's path (the request before it is sent, the new state
after the reply): their times are measured through the wallet's crash-point hooks.
Writes bench/results/latency.json; prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import openai
from web3 import Web3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from zkcredits_testing.demo.agent import Agent, open_agent  # noqa: E402
from zkcredits_testing.demo.stack import CONFIRMATIONS, Stack, running_stack  # noqa: E402

from prover.chain.mirror import Finality, VaultMirror  # noqa: E402
from prover.client.payer.payer import Payer  # noqa: E402
from prover.client.payer.proof_pool import PoolProver  # noqa: E402
from prover.client.payer.ready_proofs import ProofKeeper  # noqa: E402
from prover.client.profile import new_token  # noqa: E402
from prover.client.service.run import server  # noqa: E402
from prover.client.transport.delay import DelayBounds, PreSendDelay  # noqa: E402
from prover.client.transport.private import AsyncPrivateTransport  # noqa: E402
from prover.client.tree_view import MirrorTreeView  # noqa: E402
from prover.client.wallet import crashpoints  # noqa: E402
from prover.gateway.embedded import CHAT_MODEL  # noqa: E402

RESULTS = ROOT / "bench" / "results"
NOTE_DEPOSIT = 200_000


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return round(ordered[rank - 1], 2)


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": pct(values, 50),
        "p95": pct(values, 95),
        "mean": round(statistics.fmean(values), 2),
        "min": round(min(values), 2),
        "max": round(max(values), 2),
        "n": len(values),
    }


class FsyncClock:
    """Times the journal write + fsync of each request bound and each state committed (the
    wallet's crash points around them), i.e. what durability costs a call."""

    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = {"begin_call": [], "complete_call": []}
        self._open: dict[tuple[int, str], float] = {}

    def __call__(self, name: str) -> None:
        op, _, when = name.partition(".")
        if op not in self.samples:
            return
        key = (threading.get_ident(), op)
        if when == "before_record":
            self._open[key] = time.perf_counter()
        elif when == "after_record" and key in self._open:
            self.samples[op].append((time.perf_counter() - self._open.pop(key)) * 1e3)


class Service:
    """The prover service for one agent (proxy thread, its payer and keeper) and an openai
    client; `set_ready` switches ready proofs on or off on the service's loop."""

    def __init__(self, stack: Stack, agent: Agent, pool: PoolProver, ready: bool) -> None:
        self.notes = len(agent.notes)
        self.mirror = VaultMirror(
            Web3(Web3.HTTPProvider(stack.rpc_url)), agent.pin.service.vault_address,
            stack.root / f"{agent.name}-bench-mirror.sqlite",
            finality=Finality.after(CONFIRMATIONS),
        )  # fmt: skip
        self.keeper = ProofKeeper(
            agent.wallet, MirrorTreeView(self.mirror), pool, agent.pin.service.service_id,
            enabled=ready, refresh_s=1.0,
        )  # fmt: skip
        payer = Payer(
            wallet=agent.wallet, pin=agent.pin, proofs=self.keeper,
            transport=AsyncPrivateTransport(),
            delay=PreSendDelay(DelayBounds(min_s=0.0, max_s=0.0)),  # the privacy knob: off
        )  # fmt: skip
        self.token, self.port = new_token(), _free_port()
        self.srv = server(payer, host="127.0.0.1", port=self.port, token=self.token)
        self.loop: asyncio.AbstractEventLoop | None = None

        async def serve() -> None:
            self.loop = asyncio.get_running_loop()
            await payer.start()
            try:
                await self.srv.serve()
            finally:
                await payer.stop()

        self.thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 120
        while not self.srv.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise SystemExit("the prover service did not start")
            time.sleep(0.02)

    def client(self) -> openai.OpenAI:
        return openai.OpenAI(
            base_url=f"http://127.0.0.1:{self.port}/v1", api_key=self.token,
            http_client=httpx2.Client(trust_env=False, timeout=300), max_retries=0,
        )  # fmt: skip

    def set_ready(self, on: bool) -> None:
        assert self.loop is not None
        asyncio.run_coroutine_threadsafe(self.keeper.set_enabled(on), self.loop).result(120)

    def wait_ready(self, timeout: float = 120) -> float:
        """Until every note's next proof is ready and none is being made: the agent calls at a
        pace its proofs keep up with (its think time)."""
        t0 = time.monotonic()
        while len(self.keeper.ready_notes()) < self.notes or self.keeper.busy():
            if time.monotonic() - t0 > timeout:
                raise SystemExit("the proofs did not become ready")
            time.sleep(0.005)
        return time.monotonic() - t0

    def close(self) -> None:
        self.srv.should_exit = True
        self.thread.join(60)
        self.mirror.close()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def one_call(client: openai.OpenAI, i: int) -> None:
    reply = client.chat.completions.create(
        model=CHAT_MODEL, max_tokens=16,
        messages=[{"role": "user", "content": f"answer in 8 words, call {i}"}],
    )  # fmt: skip
    if not reply.choices[0].message.content:
        raise SystemExit("an empty reply")


def timed_calls(
    service: Service, calls: int, before_each: Callable[[], float], label: str
) -> tuple[list[float], float]:
    client = service.client()
    latencies, waited = [], 0.0
    for i in range(calls):
        waited += before_each()
        t0 = time.perf_counter()
        one_call(client, i)
        latencies.append((time.perf_counter() - t0) * 1e3)
        if (i + 1) % 20 == 0:
            print(f"\r{label}: {i + 1}/{calls}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    client.close()
    return latencies, waited


def back_to_back(service: Service, callers: int, calls: int) -> dict[str, float]:
    """`callers` threads, each calling without pause; calls per second over the whole run."""
    service.wait_ready()  # start with every proof ready
    counter = iter(range(calls))
    lock = threading.Lock()
    errors: list[BaseException] = []

    def run() -> None:
        client = service.client()
        try:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                one_call(client, i)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            client.close()

    threads = [threading.Thread(target=run) for _ in range(callers)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    if errors:
        raise SystemExit(f"a back-to-back call failed: {errors[0]!r}")
    return {"calls": calls, "callers": callers, "seconds": round(seconds, 2),
            "calls_per_s": round(calls / seconds, 3)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200, help="calls per latency mode (≥ 200)")
    parser.add_argument("--rate-calls", type=int, default=40, help="calls per back-to-back run")
    args = parser.parse_args()
    load_start = os.getloadavg()[0]
    fsync = FsyncClock()
    with (
        tempfile.TemporaryDirectory(prefix="zkc-latency-") as tmp,
        running_stack(Path(tmp), progress=lambda m: print(m, file=sys.stderr)) as stack,
    ):
        four = open_agent(stack, "four", 5, [NOTE_DEPOSIT] * 4, Path(tmp))
        one = open_agent(stack, "one", 7, [NOTE_DEPOSIT], Path(tmp))
        stack.make_final(leaf_count=5)
        pool = PoolProver.local(four.pin.vk_hashes.request, max_depth=four.pin.max_depth)
        pool.start()
        crashpoints.set_hook(fsync)
        try:
            svc = Service(stack, four, pool, ready=False)
            on_path, _ = timed_calls(svc, args.calls, lambda: 0.0, "proof on path")
            svc.set_ready(True)
            ready, think = timed_calls(svc, args.calls, svc.wait_ready, "ready proofs")
            stats = svc.keeper.stats
            if stats.ready < args.calls:
                raise SystemExit(f"only {stats.ready} of {args.calls} calls had a ready proof")
            rate4 = back_to_back(svc, 4, args.rate_calls)
            proofs = list(stats.prove_seconds)
            svc.close()
            svc1 = Service(stack, one, pool, ready=True)
            rate1 = back_to_back(svc1, 1, max(10, args.rate_calls // 2))
            svc1.close()
        finally:
            crashpoints.set_hook(None)
            pool.close()
    ready_s, path_s = summary(ready), summary(on_path)
    ratio = round(path_s["p50"] / ready_s["p50"], 1)
    scaling = round(rate4["calls_per_s"] / rate1["calls_per_s"], 2)
    result: dict[str, Any] = {
        "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "proof_workers": pool.workers,
            "loadavg_1m_start_end": [round(load_start, 2), round(os.getloadavg()[0], 2)],
            "note": "shared 2-core machine; other jobs may run concurrently",
        },
        "path": "official openai client → prover service (proxy, payer, wallet journal with "
        "fsync) → gateway (checks, Ed25519, Groth16 verify, store with fsync, sign) → embedded "
        "upstream, all on loopback; Anvil for the chain; random pre-send delay set to 0",
        "latency_ms": {"ready_proofs": ready_s, "proof_on_path": path_s},
        "agent_think_time_s": round(think, 1),
        "journal_fsync_ms": {op: summary(v) for op, v in fsync.samples.items() if v},
        "proof_ms": summary([s * 1e3 for s in proofs]) if proofs else None,
        "back_to_back": {"one_note": rate1, "four_notes": rate4, "scaling": scaling},
        "comparison": [
            {
                "measure": "paid-call latency p50",
                "unit": "ms",
                "ours": ready_s["p50"],
                "reference": path_s["p50"],
                "reference_name": "the same calls proving on path",
                "ratio": ratio,
            },
            {
                "measure": "back-to-back calls/s",
                "unit": "calls/s",
                "ours": rate4["calls_per_s"],
                "reference": rate1["calls_per_s"],
                "reference_name": "1 note (ours: 4 notes)",
                "ratio": round(rate1["calls_per_s"] / rate4["calls_per_s"], 3),
            },
        ],
        "targets": {
            "ready_p50_le_30ms": ready_s["p50"] <= 30.0,
            "ready_25x_below_on_path": ratio >= 25.0,
            "four_notes_ge_1_8x_one_note": scaling >= 1.8,
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latency.json").write_text(json.dumps(result, indent=1) + "\n")
    print(f"{'measure':<44}{'p50':>10}{'p95':>10}")
    print(f"{'paid call, ready proof (ms)':<44}{ready_s['p50']:>10}{ready_s['p95']:>10}")
    print(f"{'paid call, proof on path (ms)':<44}{path_s['p50']:>10}{path_s['p95']:>10}")
    for op, v in result["journal_fsync_ms"].items():
        print(f"{'journal write + fsync, ' + op + ' (ms)':<44}{v['p50']:>10}{v['p95']:>10}")
    print(f"ratio on path / ready (p50): {ratio}×")
    print(f"back to back: 1 note {rate1['calls_per_s']} calls/s, 4 notes "
          f"{rate4['calls_per_s']} calls/s ({scaling}×)")  # fmt: skip
    print("targets: " + ", ".join(f"{k}={v}" for k, v in result["targets"].items()))


if __name__ == "__main__":
    main()
