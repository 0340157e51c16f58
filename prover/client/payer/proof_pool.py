"""Proofs in a pool of worker processes, one per core (groth16py is single-threaded).

Each worker loads the request keys and starts its warm Node witness process once, when the pool
starts (`PoolProver.start` waits for every worker to be ready); a job carries the note (pydantic,
picklable), the point `x`, the day and the Merkle path, and returns the proof's calldata and
signals, checked against the Python twin in the worker. The event loop only awaits a future.
Workers are spawned (never forked: the prover service runs threads), and close their witness
process when the pool shuts down.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import util
from pathlib import Path
from types import TracebackType

from prover.circuits.artifacts import CIRCUITS_BUILD_DIR, KEYS_DIR, CircuitArtifacts
from prover.circuits.keys import key_dir
from prover.circuits.manifest import read_manifest
from prover.circuits.prover import CircuitKeys
from prover.client.errors import ProvingError
from prover.client.payer.request_prover import CallProof, NoteProver, load_request_keys
from prover.client.wallet import Note
from prover.crypto.leanimt import MerkleProof

_WORKER: NoteProver | None = None


def _init_worker(keys_directory: Path, artifacts: CircuitArtifacts, max_depth: int) -> None:
    global _WORKER
    _WORKER = NoteProver(CircuitKeys.load_from(keys_directory, artifacts), max_depth=max_depth)
    util.Finalize(None, _WORKER.close, exitpriority=10)  # workers skip atexit handlers


def _ready() -> int:
    assert _WORKER is not None, "the worker did not load its keys"
    return os.getpid()


def _prove(note: Note, x: int, today: int, path: MerkleProof) -> CallProof:
    assert _WORKER is not None, "the worker did not load its keys"
    return _WORKER.prove(note, x, today, path)


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


class PoolProver:
    """`RequestProving` over a process pool; `start()` before the first proof.

    `keys_directory` and `artifacts` are the request keys the provider pins (the keyring's
    `provider_key_files`: a matching build, the cache, or fetched once); `expected_vk_hash` is
    checked here, once, against the directory's manifest, with a clear error."""

    def __init__(
        self,
        keys_directory: Path,
        artifacts: CircuitArtifacts,
        expected_vk_hash: bytes,
        *,
        max_depth: int = 20,
        workers: int | None = None,
    ) -> None:
        ours = read_manifest(keys_directory).vk_hash.lower().removeprefix("0x")
        if ours != expected_vk_hash.hex():
            raise ProvingError(
                f"request keys in {keys_directory} have vk hash 0x{ours}, the provider pins "
                f"0x{expected_vk_hash.hex()}",
                field="vk_hashes.request",
            )
        self._workers = workers or default_workers()
        self._executor = ProcessPoolExecutor(
            max_workers=self._workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(keys_directory, artifacts, max_depth),
        )

    @classmethod
    def local(
        cls,
        expected_vk_hash: bytes,
        *,
        max_depth: int = 20,
        workers: int | None = None,
        keys_dir: Path = KEYS_DIR,
        build_dir: Path = CIRCUITS_BUILD_DIR,
    ) -> PoolProver:
        """The repository build's request keys (the demo, tests and benchmarks)."""
        load_request_keys(expected_vk_hash)  # refuse foreign keys here, with the build's error
        return cls(
            key_dir("request", keys_dir),
            CircuitArtifacts.in_dir("request", build_dir / "request"),
            expected_vk_hash,
            max_depth=max_depth,
            workers=workers,
        )

    @property
    def workers(self) -> int:
        return self._workers

    def start(self) -> None:
        """Spawn every worker and wait until each has its keys and witness process loaded."""
        jobs = [self._executor.submit(_ready) for _ in range(self._workers * 2)]
        pids = {job.result(timeout=300) for job in jobs}
        if not pids:
            raise ProvingError("the proof pool did not start")

    async def prove(self, note: Note, x: int, today: int, path: MerkleProof) -> CallProof:
        try:
            future = self._executor.submit(_prove, note, x, today, path)
            return await asyncio.wrap_future(future)
        except BrokenProcessPool as exc:
            raise ProvingError(
                "the proof pool lost a worker process; restart the prover service"
            ) from exc

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> PoolProver:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
