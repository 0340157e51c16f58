"""The crash matrix: a child process runs a sequence of calls and is SIGKILLed at every crash point.

A recording run lists every crash point the scenario passes (journal writes, torn halves, each
step of compaction, before and after each record). For each point k a forked child reopens a copy
of the same wallet, installs a hook that SIGKILLs itself at the k-th point, and reports through a
pipe what it handed out (ticket keys, requests journalled and "sent", releases started, committed
states). The parent then reopens the wallet and checks: it opens (never undecryptable); every key
handed out is still its ticket's key, or the ticket was committed (one key, one share per
ticket); every request handed out is still in flight, or was released by a release the child
started, or the ticket was committed; no committed state is lost; another request while one is
in flight is refused; and finishing the scenario (resending the request in flight) ends in the
very state of a run without a crash, with the reference gateway's nullifier store confirming that
no ticket was ever sent under two keys.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import shutil
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prover.client.wallet import NoteState, ServiceParams, TicketBoundError, Wallet, crashpoints
from prover.crypto import RequestFields

STEPS: list[tuple[str, Any]] = [
    ("key", None),
    ("begin", b'{"call": "refused"}'),
    ("release", None),
    ("begin", b'{"call": "alpha"}'),
    ("complete", 11),
    ("key", None),
    ("begin", b'{"call": "beta"}'),
    ("compact", None),
    ("complete", 22),
]
BODIES = [b'{"call": "alpha"}', b'{"call": "beta"}']
COSTS = [11, 22]


def scenario_request(kit: Any, service: ServiceParams, body: bytes) -> RequestFields:
    rid = hashlib.sha256(body).digest()[:16]  # fixed ids: a rerun builds the same bytes
    req: RequestFields = kit.make_request(service, body, rid=rid)
    return req


def run_scenario(
    w: Wallet, nid: int, gateway: Any, kit: Any, service: ServiceParams, say: Callable[[str], None]
) -> None:
    for kind, arg in STEPS:
        if kind == "key":
            ticket = w.key_ticket(nid)
            say(f"keyed {ticket.n} {ticket.pk.hex()}")
        elif kind == "begin":
            ticket = w.begin_call(nid, scenario_request(kit, service, arg))
            assert ticket.request is not None
            say(f"bound {ticket.n} {ticket.request.request_id.hex()}")
            say(f"sent {ticket.nullifier} {ticket.x}")
        elif kind == "release":
            ticket = w.note(nid).ticket
            assert ticket is not None and ticket.request is not None
            say(f"releasing {ticket.n} {ticket.request.request_id.hex()}")
            w.release_call(nid, ticket.request.request_id, sent=True, reason="bad_request")
        elif kind == "complete":
            note = w.note(nid)
            assert note.ticket is not None and note.ticket.request is not None
            reply = gateway.serve(note, note.ticket, cost=arg)
            state = w.complete_call(nid, reply)
            say(f"committed {state.n}")
        else:
            w.compact()
            say("compacted")


def child_main(
    path: Path,
    nid: int,
    crash_at: int,
    fd: int,
    kit: Any,
    service: ServiceParams,
    sk: int,
    compact_every: int,
) -> None:
    def say(line: str) -> None:
        os.write(fd, (line + "\n").encode())

    count = 0

    def hook(name: str) -> None:
        nonlocal count
        if count == crash_at:
            say(f"crash {name}")
            os.kill(os.getpid(), signal.SIGKILL)
        count += 1

    w = Wallet.open(path, kit.passphrase, compact_every=compact_every)
    crashpoints.set_hook(hook)
    run_scenario(w, nid, kit.gateway(sk, service), kit, service, say)
    say("finished")


def prepare(directory: Path, kit: Any, service: ServiceParams) -> tuple[Path, int]:
    directory.mkdir()
    path = directory / "wallet.zkw"
    with Wallet.create(path, kit.passphrase, kdf=kit.kdf) as w:
        note = w.new_note(service)
        w.record_deposit(note.id, kit.deposit_info())
    return path, note.id


def finish(w: Wallet, nid: int, gateway: Any, kit: Any, service: ServiceParams) -> NoteState:
    """Drive the note to the scenario's end the way a restarted client would: resend what is in
    flight, else send the ticket's next request."""
    while (note := w.note(nid)).state.n < len(COSTS):
        if note.in_flight is None:
            w.begin_call(nid, scenario_request(kit, service, BODIES[note.state.n]))
            note = w.note(nid)
        assert note.ticket is not None
        w.complete_call(nid, gateway.serve(note, note.ticket, cost=COSTS[note.state.n]))
    return w.note(nid).state


@pytest.mark.parametrize("compact_every", [64, 2])
def test_a_crash_at_any_step_never_reuses_a_ticket_nor_loses_a_state(
    tmp_path: Path, kit: Any, service: ServiceParams, server_sk: int, compact_every: int
) -> None:
    template, nid = prepare(tmp_path / "template", kit, service)

    # Recording run: which crash points does the scenario pass, and where does it end?
    rec_dir = tmp_path / "recording"
    shutil.copytree(template.parent, rec_dir)
    points: list[str] = []
    crashpoints.set_hook(points.append)
    try:
        with Wallet.open(rec_dir / template.name, kit.passphrase, compact_every=compact_every) as w:
            run_scenario(w, nid, kit.gateway(server_sk, service), kit, service, lambda _: None)
            reference = w.note(nid).state
    finally:
        crashpoints.set_hook(None)
    for expected in (
        "key_ticket.after_record",
        "release_call.before_record",
        "begin_call.before_record",
        "journal.half_written",
        "journal.synced",
        "complete_call.after_record",
        "compact.main.tmp_written",
        "compact.main.renamed",
        "compact.journal.renamed",
    ):
        assert expected in points
    assert reference.n == 2 and sum(COSTS) == reference.C
    assert len(points) >= 50  # 7 records x 6 points + 8 compaction points, at least

    ctx = multiprocessing.get_context("fork")
    for k, point in enumerate(points):
        where = f"crash point {k} ({point})"
        run_dir = tmp_path / f"run{k}"
        shutil.copytree(template.parent, run_dir)
        path = run_dir / template.name
        rfd, wfd = os.pipe()
        proc = ctx.Process(
            target=child_main,
            args=(path, nid, k, wfd, kit, service, server_sk, compact_every),
        )
        proc.start()
        os.close(wfd)
        with os.fdopen(rfd, "rb") as pipe:
            lines = pipe.read().decode().splitlines()
        proc.join()
        assert proc.exitcode == -signal.SIGKILL, f"{where}: child ended with {proc.exitcode}"
        assert lines[-1] == f"crash {point}", where

        with Wallet.open(path, kit.passphrase, compact_every=compact_every) as w:  # decryptable
            note = w.note(nid)
            ticket = note.ticket
            releasing = {line.split(" ", 1)[1] for line in lines if line.startswith("releasing ")}
            for line in lines:
                word, *rest = line.split()
                if word == "keyed":
                    n, pk = int(rest[0]), bytes.fromhex(rest[1])
                    kept = ticket is not None and ticket.n == n and ticket.pk == pk
                    assert note.state.n > n or kept, f"{where}: a handed-out key was lost"
                elif word == "bound":
                    n, rid = int(rest[0]), bytes.fromhex(rest[1])
                    in_flight = ticket is not None and ticket.request is not None
                    kept = in_flight and ticket.request.request_id == rid  # type: ignore[union-attr]
                    released = f"{n} {rid.hex()}" in releasing
                    assert note.state.n > n or kept or released, f"{where}: a request vanished"
                elif word == "committed":
                    assert note.state.n >= int(rest[0]), f"{where}: committed state lost"
            if note.in_flight is not None:
                with pytest.raises(TicketBoundError):
                    w.begin_call(nid, scenario_request(kit, service, b"an intruding request"))
            gateway = kit.gateway(server_sk, service)
            for line in lines:
                if line.startswith("sent "):
                    _, nullifier, x = line.split()
                    gateway.record_sent(int(nullifier), int(x))
            assert finish(w, nid, gateway, kit, service) == reference, where
        with Wallet.open(path, kit.passphrase) as w:
            assert w.note(nid).state == reference, where


def create_and_die(path: Path, crash_at: int, kit: Any) -> None:
    count = 0

    def hook(name: str) -> None:
        nonlocal count
        if count == crash_at:
            os.kill(os.getpid(), signal.SIGKILL)
        count += 1

    crashpoints.set_hook(hook)
    Wallet.create(path, kit.passphrase, kdf=kit.kdf)


def test_a_crash_while_creating_leaves_either_no_wallet_or_a_usable_one(
    tmp_path: Path, kit: Any, service: ServiceParams
) -> None:
    points: list[str] = []
    crashpoints.set_hook(points.append)
    try:
        Wallet.create(tmp_path / "probe.zkw", kit.passphrase, kdf=kit.kdf).close()
    finally:
        crashpoints.set_hook(None)
    assert len(points) == 8  # two atomic replaces of four points each
    ctx = multiprocessing.get_context("fork")
    for k in range(len(points)):
        path = tmp_path / f"c{k}" / "wallet.zkw"
        path.parent.mkdir()
        proc = ctx.Process(target=create_and_die, args=(path, k, kit))
        proc.start()
        proc.join()
        assert proc.exitcode == -signal.SIGKILL
        if path.exists():
            w = Wallet.open(path, kit.passphrase)
        else:
            w = Wallet.create(path, kit.passphrase, kdf=kit.kdf)  # a retry of create succeeds
        with w:
            assert w.notes() == []
            w.new_note(service)
        with Wallet.open(path, kit.passphrase) as again:
            assert len(again.notes()) == 1, f"crash point {k} ({points[k]})"
