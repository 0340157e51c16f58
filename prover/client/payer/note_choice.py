"""Choosing the note that pays a call (PROTOCOL §13: a random pick per call).

A note pays one call at a time: it is leased for the whole call, across threads and processes.
Concurrent calls take other notes; when every payable note is busy the call waits for one. A note
whose last request is still in flight is a candidate too (the payer resends that request first,
so no note stays stuck while the gateway comes back). Among the candidates, notes whose next
proof is ready are preferred (the pick stays random among them).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from prover.client.errors import NotesBusyError
from prover.client.wallet import Note, NoteBusyError, Wallet
from prover.client.why_not import Timing, why_no_note_can_pay

BUSY_POLL_S = 0.05


@dataclass
class NotePicker:
    """Leases payable notes at random; remembers which ones this payer has in flight."""

    rng: random.Random = field(default_factory=random.SystemRandom)
    busy: set[int] = field(default_factory=set)
    timing: Timing | None = None  # the pin's timing, for saying why no note can pay

    async def pick(
        self,
        wallet: Wallet,
        service_id: int,
        today: int,
        size: int,
        stack: contextlib.ExitStack,
        wait_s: float,
        prefer: Callable[[], set[int]] = set,
    ) -> Note:
        """Lease a note that can pay today and is inside a checkpoint of `size` leaves (among
        them, one in `prefer()` if any is free); the lease ends with `stack`. Waits up to
        `wait_s` while our payable notes are busy."""
        deadline = time.monotonic() + wait_s
        while True:  # calls on one note are serialised: wait while our notes are busy
            candidates = self.usable(wallet, service_id, today, size)
            if candidates:
                preferred = prefer()
                first = [n for n in candidates if n.id in preferred and n.id not in self.busy]
                try:
                    return self.lease(wallet, first or candidates, stack)
                except NotesBusyError:
                    if first:
                        with contextlib.suppress(NotesBusyError):
                            return self.lease(wallet, candidates, stack)
            elif not self.busy:
                raise why_no_note_can_pay(  # the cause, with what to do (`why_not`)
                    wallet.notes(), service_id, today, size, now=time.time(), timing=self.timing
                )
            if time.monotonic() >= deadline:
                raise NotesBusyError(
                    f"every payable note stayed busy for {wait_s} s (one call per note)"
                )
            await asyncio.sleep(BUSY_POLL_S)

    @staticmethod
    def usable(wallet: Wallet, service_id: int, today: int, size: int) -> list[Note]:
        """Payable notes (with a request in flight or not) whose deposit is inside the
        checkpoint the proof will use."""
        return [
            note
            for note in wallet.payable_notes(service_id, today, with_in_flight=True)
            if note.deposit is not None and note.deposit.leaf_index < size
        ]

    def lease(self, wallet: Wallet, candidates: list[Note], stack: contextlib.ExitStack) -> Note:
        """Lease a random free note among `candidates`."""
        order = list(candidates)
        self.rng.shuffle(order)
        for note in order:
            if note.id in self.busy:
                continue
            try:
                stack.enter_context(wallet.lease(note.id))
            except NoteBusyError:
                continue
            self.busy.add(note.id)
            stack.callback(self.busy.discard, note.id)
            return note
        raise NotesBusyError(f"all {len(candidates)} payable notes are serving other calls")
