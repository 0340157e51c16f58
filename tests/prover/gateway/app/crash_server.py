"""A real gateway process for the crash tests: uvicorn, the SQLite store, the real verifier.

    python crash_server.py DB PORT MARKERS MODE

MODE `normal`: the in-test upstream answers at once. `block`: it writes `MARKERS/entered` and
waits (forever) — the test kills the process there. `pause-after-persist`: the call completes
in the store, writes `MARKERS/persisted`, then the reply is held back (forever) — the test kills
the process between persisting and replying. Every upstream call appends a line to
`MARKERS/upstream-calls` so the test counts them across restarts.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import uvicorn
from gateway_world import SERVER_SK, FixedUpstream, NoPenalty, TreeChainView, settings

from prover.circuits.prover import CircuitKeys
from prover.gateway.app import create_app
from prover.gateway.ports import ForwardReply, ForwardRequest
from prover.gateway.store import NullifierRecord, SqliteNullifierStore, StoredReply


class MarkedUpstream(FixedUpstream):
    """The in-test fixed upstream, leaving a trace of each call and optionally hanging."""

    markers: Path = Path()
    hang: bool = False

    async def forward(self, request: ForwardRequest) -> ForwardReply:
        with (self.markers / "upstream-calls").open("a") as f:
            f.write("call\n")
        if self.hang:
            (self.markers / "entered").write_text("1")
            await asyncio.Event().wait()
        return await super().forward(request)


class PausingStore(SqliteNullifierStore):
    """The real SQLite store; after a durable `complete` it marks the file and blocks."""

    markers: Path = Path()

    def complete(self, nullifier: int, x: int, reply: StoredReply) -> NullifierRecord:
        record = super().complete(nullifier, x, reply)
        (self.markers / "persisted").write_text("1")
        time.sleep(3600)
        return record


def main() -> None:
    db, port, markers, mode = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
    store = PausingStore(db) if mode == "pause-after-persist" else SqliteNullifierStore(db)
    if isinstance(store, PausingStore):
        store.markers = markers
    upstream = MarkedUpstream()
    upstream.markers, upstream.hang = markers, mode == "block"
    app = create_app(
        settings(),
        chain=TreeChainView(),
        upstream=upstream,
        policy=NoPenalty(),
        store=store,
        keys=CircuitKeys.load("request"),
        server_secret=SERVER_SK,
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
