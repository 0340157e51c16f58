"""Several threads and processes on one wallet: one note serves one call at a time."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prover.client.wallet import Note, NoteBusyError, ServiceParams, TicketBoundError, Wallet
from prover.crypto import RequestFields

Req = Callable[[bytes], RequestFields]
FORK = multiprocessing.get_context("fork")


def hold_lease(path: Path, passphrase: str, nid: int, ready: int, release: int) -> None:
    with Wallet.open(path, passphrase) as w, w.lease(nid):
        os.write(ready, b"held\n")
        os.read(release, 1)  # wait for the parent (or be killed)


def start_holder(path: Path, kit: Any, nid: int) -> tuple[Any, int]:
    ready_r, ready_w = os.pipe()
    release_r, release_w = os.pipe()
    proc = FORK.Process(target=hold_lease, args=(path, kit.passphrase, nid, ready_w, release_r))
    proc.start()
    os.close(ready_w)
    os.close(release_r)
    assert os.read(ready_r, 5) == b"held\n"
    os.close(ready_r)
    return proc, release_w


def test_two_processes_cannot_hold_the_same_note(
    wallet: Wallet, active_note: Note, kit: Any, request_for: Req
) -> None:
    proc, release = start_holder(wallet.path, kit, active_note.id)
    try:
        with (
            pytest.raises(NoteBusyError, match="another wallet process"),
            wallet.lease(active_note.id),
        ):
            pass
        with pytest.raises(NoteBusyError):
            wallet.begin_call(active_note.id, request_for(b"x"))
        assert wallet.in_flight(active_note.id) is None
    finally:
        os.write(release, b"x")
        os.close(release)
        proc.join()
    assert proc.exitcode == 0
    with wallet.lease(active_note.id):
        assert wallet.begin_call(active_note.id, request_for(b"x")).n == 0


def test_a_killed_process_does_not_keep_its_note_locked(
    wallet: Wallet, active_note: Note, kit: Any
) -> None:
    proc, release = start_holder(wallet.path, kit, active_note.id)
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    os.close(release)
    with wallet.lease(active_note.id):
        pass


def test_two_threads_cannot_hold_the_same_note_but_may_hold_different_ones(
    wallet: Wallet, active_note: Note, service: ServiceParams, kit: Any
) -> None:
    second = wallet.record_deposit(wallet.new_note(service).id, kit.deposit_info())
    errors: list[BaseException] = []

    def other_thread() -> None:
        try:
            with wallet.lease(active_note.id):
                pass
        except NoteBusyError as exc:
            errors.append(exc)
        with wallet.lease(second.id):
            pass

    with wallet.lease(active_note.id):
        t = threading.Thread(target=other_thread)
        t.start()
        t.join()
    assert len(errors) == 1 and "another thread" in str(errors[0])


def bind_in_child(path: Path, passphrase: str, nid: int, req: RequestFields) -> None:
    with Wallet.open(path, passphrase) as w:
        w.begin_call(nid, req)


def test_a_ticket_bound_by_another_process_is_seen_before_binding_again(
    wallet: Wallet, active_note: Note, kit: Any, request_for: Req
) -> None:
    theirs = request_for(b"bound by the other process")
    proc = FORK.Process(
        target=bind_in_child, args=(wallet.path, kit.passphrase, active_note.id, theirs)
    )
    proc.start()
    proc.join()
    assert proc.exitcode == 0
    with pytest.raises(TicketBoundError):
        wallet.begin_call(active_note.id, request_for(b"ours"))
    in_flight = wallet.in_flight(active_note.id)
    assert in_flight is not None and in_flight.request is not None
    assert in_flight.request.body == theirs.body


def compact_in_child(path: Path, passphrase: str, service: ServiceParams) -> None:
    with Wallet.open(path, passphrase) as w:
        w.new_note(service)
        w.compact()


def test_writes_after_another_process_compacted_land_in_the_new_journal(
    wallet: Wallet, active_note: Note, kit: Any, service: ServiceParams, request_for: Req
) -> None:
    proc = FORK.Process(target=compact_in_child, args=(wallet.path, kit.passphrase, service))
    proc.start()
    proc.join()
    assert proc.exitcode == 0
    ticket = wallet.begin_call(active_note.id, request_for(b"after compaction"))
    assert len(wallet.notes()) == 2
    path = wallet.path
    wallet.close()
    with Wallet.open(path, kit.passphrase) as again:
        assert again.in_flight(active_note.id) == ticket
        assert len(again.notes()) == 2


def key_in_child(path: Path, passphrase: str, nid: int, barrier: Any, out: Any) -> None:
    with Wallet.open(path, passphrase) as w:
        barrier.wait(timeout=30)
        out.put(w.key_ticket(nid).pk)


def test_processes_keying_one_ticket_at_once_all_get_the_one_key(
    wallet: Wallet, active_note: Note, kit: Any
) -> None:
    """One key per ticket (one share): the journal rule makes racing writers agree."""
    barrier, out = FORK.Barrier(4), FORK.Queue()
    procs = [
        FORK.Process(
            target=key_in_child, args=(wallet.path, kit.passphrase, active_note.id, barrier, out)
        )
        for _ in range(4)
    ]
    for proc in procs:
        proc.start()
    keys = {out.get(timeout=60) for _ in procs}
    for proc in procs:
        proc.join()
        assert proc.exitcode == 0
    assert keys == {wallet.key_ticket(active_note.id).pk}
