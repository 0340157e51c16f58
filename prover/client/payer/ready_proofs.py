"""Proofs made ahead of time (PROTOCOL v3 §8; issue 10 point 4).

A ticket's proof binds the point `x = H(pk)` of its one-time key, not the request, so the proof
of every note's next ticket is made right after the previous reply, in the background (a process
pool, `proof_pool.PoolProver`), and a call with a ready proof does no proving on its critical
path. A ready proof is used only while everything it shows is current: the note's state and
ticket key, today's UTC day, and the newest checkpoint root of the client's own chain view. When
a newer checkpoint becomes final or the UTC day changes, every ready proof is remade, so a call's
`root` and `today` never tell when its proof was made. Without a ready proof, a call proves on
its path as before (`enabled=False` keeps it that way: the benchmark's reference mode).

Never blocking the event loop: wallet writes (the ticket key's journal record), chain reads and
proving all run in worker threads or processes; the loop only awaits them.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from anyio import to_thread

from prover.client.errors import ClientError, ProvingError
from prover.client.payer.request_prover import CallProof, RequestProving, check_call_proof
from prover.client.tree_view import Checkpoint, TreeView
from prover.client.wallet import Note, Ticket, Wallet, WalletError
from prover.crypto.babyjub import Point
from prover.crypto.leanimt import MerkleProof
from prover.logs import get_logger

log = get_logger("zkcredits.client.proofs")
DAY = 86_400


def utc_day(now: float) -> int:
    return int(now) // DAY


@dataclass(frozen=True)
class ProofKey:
    """Everything a ticket's proof shows or depends on: it is usable only while all are current."""

    note_id: int
    n: int
    state: Point  # the commitment E of the state it proves from
    pk: bytes  # the ticket's one-time key (x = H(pk))
    today: int
    root: int


@dataclass
class KeeperStats:
    """How calls got their proofs (the benchmark and the demo report these)."""

    ready: int = 0  # taken ready: no proving on the call's path
    awaited: int = 0  # a background proof was still running: the call waited for it
    on_path: int = 0  # proven on the call's path
    made: int = 0  # background proofs completed
    discarded: int = 0  # background proofs no longer current when done, or replaced
    prove_seconds: list[float] = field(default_factory=list)  # every proof, background or not


class ProofKeeper:
    """Keeps, per note, the proof of its next ticket ready (see the module docstring)."""

    def __init__(
        self,
        wallet: Wallet,
        tree: TreeView,
        prover: RequestProving,
        service_id: int,
        *,
        enabled: bool = True,
        refresh_s: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.wallet = wallet
        self.tree = tree
        self.prover = prover
        self.service_id = service_id
        self.enabled = enabled
        self.refresh_s = refresh_s
        self.clock = clock
        self.stats = KeeperStats()
        self._ready: dict[int, tuple[ProofKey, CallProof]] = {}
        self._jobs: dict[int, asyncio.Task[CallProof | None]] = {}
        self._checkpoint: Checkpoint | None = None
        self._day: int | None = None
        self._tree_lock = threading.Lock()  # the chain view is used from worker threads
        self._loop: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ chain view

    def _sync_checkpoint(self) -> Checkpoint:
        with self._tree_lock:
            return self.tree.newest_checkpoint()

    def _merkle_path(self, leaf_index: int) -> MerkleProof:
        with self._tree_lock:
            return self.tree.merkle_proof(leaf_index)

    async def checkpoint(self) -> Checkpoint:
        """The newest checkpoint of the client's own view: the one the loop keeps fresh, or
        read now when the loop is not running."""
        if self._checkpoint is None or self._loop is None:
            self._checkpoint = await to_thread.run_sync(self._sync_checkpoint)
        return self._checkpoint

    async def refresh(self) -> bool:
        """Read the newest checkpoint and the day; on a change, remake every ready proof."""
        checkpoint = await to_thread.run_sync(self._sync_checkpoint)
        day = utc_day(self.clock())
        changed = (
            self._checkpoint is None
            or checkpoint.root != self._checkpoint.root
            or checkpoint.size != self._checkpoint.size
            or day != self._day
        )
        self._checkpoint, self._day = checkpoint, day
        if changed:
            stale = [nid for nid, (key, _) in self._ready.items() if not self._current(key)]
            for nid in stale:
                del self._ready[nid]
            self.stats.discarded += len(stale)
        await self.fill()
        return changed

    def _current(self, key: ProofKey) -> bool:
        cp = self._checkpoint
        return cp is not None and key.root == cp.root and key.today == utc_day(self.clock())

    # ------------------------------------------------------------------ background work

    async def start(self) -> None:
        """First checkpoint, proofs for every payable note, then the refresh loop. A chain
        that does not answer now is retried by the loop; calls prove on their path meanwhile."""
        await self._refresh_logged()
        self._loop = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        tasks: list[asyncio.Task[object]] = [*self._jobs.values()]
        if self._loop is not None:
            tasks.append(self._loop)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._loop = None
        self._jobs.clear()

    async def set_enabled(self, enabled: bool) -> None:
        """Switch ready proofs on (and make them now) or off (drop them, stop the running ones:
        every call then proves on its path)."""
        self.enabled = enabled
        if enabled:
            await self.fill()
            return
        jobs = list(self._jobs.values())
        for job in jobs:
            job.cancel()
        for job in jobs:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await job
        self._jobs.clear()
        self._ready.clear()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_s)
            await self._refresh_logged()

    async def _refresh_logged(self) -> None:
        """`refresh()`; a chain or wallet failure is logged and left to the next round."""
        try:
            await self.refresh()
        except (ClientError, WalletError) as exc:
            log.warning("proof_refresh_failed", error_type=type(exc).__name__)

    async def fill(self) -> None:
        """Schedule a proof for every payable note that has none ready or running."""
        if not self.enabled or self._checkpoint is None:
            return
        today = utc_day(self.clock())
        size = self._checkpoint.size
        notes = await to_thread.run_sync(self.wallet.payable_notes, self.service_id, today)
        for note in notes:
            if note.deposit is None or note.deposit.leaf_index >= size:
                continue
            ready = self._ready.get(note.id)
            if ready is not None and (ready[0].n, ready[0].state) != (note.state.n, note.state.E):
                self.schedule(note.id, replace=True)  # the note moved on elsewhere
            else:
                self.schedule(note.id)

    def schedule(self, note_id: int, *, replace: bool = False) -> None:
        """Make the note's next ticket's proof in the background (no-op if ready proofs are off,
        or if one is running, or ready and current and not to `replace`: the note's ticket was
        consumed)."""
        if not self.enabled:
            return
        if replace:
            self._ready.pop(note_id, None)
        running = self._jobs.get(note_id)
        if running is not None and not running.done():
            return
        if note_id in self._ready and self._current(self._ready[note_id][0]):
            return
        self._jobs[note_id] = asyncio.get_running_loop().create_task(self._make(note_id))

    async def _make(self, note_id: int) -> CallProof | None:
        """Key the next ticket (journalled in a worker thread), prove it in the pool, keep it if
        it is still current when done."""
        try:
            ticket = await to_thread.run_sync(self.wallet.key_ticket, note_id)
            note = await to_thread.run_sync(self.wallet.note, note_id)
            key, proof = await self._prove(note, ticket, utc_day(self.clock()))
        except Exception as exc:  # a background job: logged (no message: it may name a note)
            log.warning("ready_proof_failed", error_type=type(exc).__name__)
            return None
        self.stats.made += 1
        latest = await to_thread.run_sync(self.wallet.note, note_id)
        if (
            latest.ticket is None
            or latest.ticket.pk != key.pk
            or key.state != latest.state.E
            or not self._current(key)
        ):
            self.stats.discarded += 1
            return None
        self._ready[note_id] = (key, proof)
        return proof

    async def _prove(self, note: Note, ticket: Ticket, today: int) -> tuple[ProofKey, CallProof]:
        if note.deposit is None:
            raise ProvingError(f"note {note.id} has no deposit", field="deposit")
        path = await to_thread.run_sync(self._merkle_path, note.deposit.leaf_index)
        key = ProofKey(note.id, ticket.n, note.state.E, ticket.pk, today, path.root)
        started = time.perf_counter()
        proof = await self.prover.prove(note, ticket.x, today, path)
        self.stats.prove_seconds.append(time.perf_counter() - started)
        check_call_proof(proof, ticket, today)
        return key, proof

    # ------------------------------------------------------------------ the call's side

    def ready_notes(self) -> set[int]:
        """Notes whose ready proof is current (the payer prefers them). Safe to call from
        another thread (a snapshot of the dict is taken first)."""
        return {nid for nid, (key, _) in list(self._ready.items()) if self._current(key)}

    def busy(self) -> bool:
        """Is a background proof being made now?"""
        return any(not job.done() for job in list(self._jobs.values()))

    def ready_for(self, note_id: int) -> tuple[ProofKey, CallProof] | None:
        """The note's ready proof and what it shows (current or not), if any."""
        return self._ready.get(note_id)

    async def proof_for(self, note: Note, ticket: Ticket, today: int) -> CallProof:
        """The proof of `note`'s next ticket (key `ticket`) for a request on day `today`: the
        ready one if it is current, else the running one, else made now on the call's path.
        Whatever comes back is checked to be this ticket key's (never another's)."""
        checkpoint = await self.checkpoint()
        want = (note.id, ticket.n, note.state.E, ticket.pk, today, checkpoint.root)
        ready = self._ready.get(note.id)  # kept: the ticket may carry another request later
        if ready is not None and _key_tuple(ready[0]) == want:
            self.stats.ready += 1
            check_call_proof(ready[1], ticket, today)
            return ready[1]
        running = self._jobs.get(note.id)
        if running is not None and not running.done():
            proof = await running
            again = self._ready.get(note.id)
            if proof is not None and again is not None and _key_tuple(again[0]) == want:
                self.stats.awaited += 1
                check_call_proof(again[1], ticket, today)
                return again[1]
        self.stats.on_path += 1
        key, proof = await self._prove(note, ticket, today)
        if key.root != checkpoint.root:  # the view moved on meanwhile: remember the new one
            self._checkpoint = None
        return proof


def _key_tuple(key: ProofKey) -> tuple[int, int, Point, bytes, int, int]:
    return (key.note_id, key.n, key.state, key.pk, key.today, key.root)
