"""A real gateway process for the crash test: `python gateway_process.py CONFIG.json`.

The config names the gateway settings, the chain, the nullifier store file, the upstream, the
port and a `stall_file`: while that file exists, every Groth16 verification (so before any
reservation) first writes `<stall_file>.hit` and then waits forever — the test kills this process
there, by its PID. The chain view is the real mirror, synced every 0.2 s by a thread.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import uvicorn
from web3 import Web3

from prover.chain.mirror import Finality, VaultMirror
from prover.circuits.prover import CircuitKeys
from prover.gateway.app import GatewaySettings, create_app
from prover.gateway.app.verify import verifier_from_keys
from prover.gateway.app.wiring import build_policy
from prover.gateway.chain.view import MirrorChainView
from prover.gateway.store import open_store
from prover.gateway.upstream.http import HttpUpstream


def main(config_path: str) -> None:
    config = json.loads(Path(config_path).read_text())
    settings = GatewaySettings.model_validate(config["settings"])
    w3 = Web3(Web3.HTTPProvider(config["rpc_url"], request_kwargs={"timeout": 30}))
    mirror = VaultMirror(w3, settings.vault, Path(config["mirror"]), finality=Finality.after(0))
    mirror.sync()
    lock = threading.Lock()

    def sync_forever() -> None:
        while True:
            time.sleep(0.2)
            with lock:
                mirror.sync()

    threading.Thread(target=sync_forever, daemon=True).start()
    verify = verifier_from_keys(CircuitKeys.load("request"))
    stall = Path(config["stall_file"])

    def stalling_verify(proof: bytes, signals: Sequence[int]) -> bool:
        if stall.exists():
            Path(str(stall) + ".hit").write_text("verifying")
            while True:
                time.sleep(1)  # killed here, before the reservation
        return verify(proof, signals)

    app = create_app(
        settings,
        chain=MirrorChainView(mirror, max_staleness=10**9),
        upstream=HttpUpstream(config["upstream_url"]),
        policy=build_policy(settings),
        store=open_store(config["store"]),
        keys=stalling_verify,
        server_secret=int(config["server_sk"]),
    )
    print("LISTENING", flush=True)
    uvicorn.run(
        app, host="127.0.0.1", port=int(config["port"]), log_level="warning", access_log=False
    )


if __name__ == "__main__":
    main(sys.argv[1])
