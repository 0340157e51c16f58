"""Two real `zkcredits gateway serve` replicas on one PostgreSQL (started here) and one vault on
Anvil: a call through one replica and its retry through the other; a replica killed (SIGKILL by
PID) while the upstream holds its call; one penalty log; a double spend seen across replicas
slashed exactly once. Nothing is lost and nothing is charged twice."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from starlette.types import Message, Receive, Scope, Send
from zkcredits_testing.devkeys import anvil_account
from zkcredits_testing.postgres import PostgresProcess

from prover.chain.vault import CreditVaultClient, NoteStatus
from prover.circuits.inputs import NoteState
from prover.crypto.babyjub import Point
from prover.crypto.commitment import Opening, commit, eta, next_opening, verify_state
from prover.crypto.eddsa import public_key, secret_key_to_bytes
from prover.crypto.request_hash import RequestFields
from prover.crypto.rln import note_id, service_id
from prover.crypto.ticket_key import TicketKey
from prover.gateway.bundle import bundle_from_deployment
from prover.gateway.embedded import create_embedded_upstream
from prover.gateway.policy.entry import PenaltyEntry, verify_log
from prover.plumbing.server import ThreadedServer
from prover.wire import PaymentResponse, decode_header, signed_payment
from prover.wire import encode_header as encode

DevNet = Any
NewNote = Callable[[CreditVaultClient, Any], Any]
ZKCREDITS = Path(sys.executable).with_name("zkcredits")
PATH = "/v1/embeddings"
SLOW = b"hold-this-call"
SLASHER = anvil_account(6)

pytestmark = pytest.mark.slow


class HoldingUpstream:
    """The embedded upstream, except that a request whose body holds `SLOW` waits until
    `release` is set; `held` is set when such a request arrives. Counts requests by body."""

    def __init__(self) -> None:
        self.inner = create_embedded_upstream()
        self.held = threading.Event()
        self.release = threading.Event()
        self.seen: list[bytes] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        self.seen.append(body)
        if SLOW in body:
            self.held.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.inner(scope, replay, send)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Replica:
    def __init__(self, name: str, root: Path, args: list[str]) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = root / f"{name}.log"
        self.args = args
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Replica:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [*self.args, "--port", str(self.port)], stdout=log, stderr=log, cwd=self.log.parent
            )
        deadline = time.monotonic() + 120
        while True:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"{self.name} did not start"
            time.sleep(0.2)

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


class Payer:
    """One note's calls as a client makes them: real proofs, the state advanced from replies."""

    def __init__(self, note: Any, chain_id: int, server_pk: Point) -> None:
        self.note = note
        self.chain_id = chain_id
        self.server_pk = server_pk
        self.sid = note.mirror.service_id

    def request(self, text: str, rid: int, ticket: int | None = None) -> tuple[bytes, str]:
        n = len(self.note.states) - 1 if ticket is None else ticket
        body = json.dumps({"model": "m", "input": text}).encode()
        today = int(time.time()) // 86_400
        request_id = rid.to_bytes(16, "big")
        fields = RequestFields.create(
            method="POST", path=PATH, body=body, service_id=self.sid, today=today,
            request_id=request_id,
        )  # fmt: skip
        key = TicketKey.generate()  # a fresh one-time key: a second use of a ticket is a new x
        proof = self.note.request_proof(n, key.x, today)
        header = signed_payment(
            network=f"eip155:{self.chain_id}", proof=proof.calldata,
            public_signals=[int(s) for s in proof.public_signals], key=key, request=fields,
        )  # fmt: skip
        return body, encode(header)

    def accept(self, reply: PaymentResponse) -> None:
        """The client's checks (§6) and its next state."""
        n = len(self.note.states) - 1
        state = self.note.states[n]
        opening = next_opening(
            Opening(n=state.n, C=state.C, P=state.P, ID=note_id(self.note.k), rho=state.rho),
            eta(self.note.k, n, self.sid), reply.cost, reply.p,
        )  # fmt: skip
        assert commit(opening) == reply.E_new
        assert verify_state(self.server_pk, self.sid, reply.E_new, reply.sigma_new)
        self.note.states.append(
            NoteState(
                n=opening.n, C=opening.C, P=opening.P, rho=opening.rho, signature=reply.sigma_new
            )
        )


def _post(url: str, body: bytes, header: str, timeout: float = 60) -> httpx.Response:
    return httpx.post(
        url + PATH, content=body, timeout=timeout,
        headers={"PAYMENT-SIGNATURE": header, "content-type": "application/json"},
    )  # fmt: skip


def _payment(resp: httpx.Response) -> PaymentResponse:
    return decode_header(resp.headers["PAYMENT-RESPONSE"], PaymentResponse, "h")


@pytest.fixture
def postgres() -> Iterator[str]:
    with PostgresProcess() as info:
        yield info.tcp_dsn


def test_two_replicas_share_retries_penalties_and_one_slasher_and_survive_a_kill(
    net: DevNet,
    new_note: NewNote,
    deployment: Any,
    anvil: Any,
    server_secret: int,
    postgres: str,
    tmp_path: Path,
) -> None:
    vault = net.fresh_vault()
    mirror = net.open_mirror(vault)
    start = int(net.w3.eth.block_number)
    bundle = bundle_from_deployment(deployment, anvil.rpc_url).model_copy(
        update={
            "vault": vault.address,
            "service_id": service_id(31337, vault.address),
            "start_block": start - 1,
        }
    )
    bundle_file = tmp_path / "31337.gateway.json"
    bundle_file.write_text(bundle.model_dump_json())
    config = tmp_path / "gateway.json"
    settings = {
        "stale_in_progress_seconds": 4, "chain_poll_seconds": 0.2, "slasher_lease_seconds": 3,
        "upstream_probe_seconds": 0, "chain_max_staleness_seconds": 600,
    }  # fmt: skip
    config.write_text(json.dumps(settings))
    payer = Payer(new_note(vault, mirror), 31337, public_key(server_secret))
    upstream = HoldingUpstream()
    with ExitStack() as stack:
        up_url = stack.enter_context(ThreadedServer(upstream))  # type: ignore[arg-type]

        def replica(name: str) -> Replica:
            data = tmp_path / name
            data.mkdir(mode=0o700, exist_ok=True)
            for file, key in (("server.key", secret_key_to_bytes(server_secret).hex()),
                              ("slasher.key", bytes(SLASHER.key).hex())):  # fmt: skip
                (data / file).write_text(key)
                (data / file).chmod(0o600)
            args = [
                str(ZKCREDITS), "gateway", "serve", "--deployment", str(bundle_file),
                "--config", str(config), "--data-dir", str(data), "--store", postgres,
                "--upstream", up_url,
            ]  # fmt: skip
            r = Replica(name, tmp_path, args)
            stack.callback(r.stop)
            return r

        a, b = replica("a").start(), replica("b").start()

        # 1. A call through A, its retry through B: the same body and the same signed state.
        body, header = payer.request("first", 1)
        first = _post(a.url, body, header)
        assert first.status_code == 200, first.text
        retry = _post(b.url, body, header)
        assert (retry.status_code, retry.content) == (200, first.content)
        assert _payment(retry) == _payment(first)
        state = httpx.get(f"{b.url}/state/{_payment(first).nullifier}", timeout=10).json()
        assert int(state["cost"]) == _payment(first).cost > 0
        payer.accept(_payment(first))

        # 2. A is killed while the upstream holds its call; B settles the retry, charging 0.
        body, header = payer.request("please " + SLOW.decode(), 2)
        pending = threading.Thread(target=lambda: _swallow(lambda: _post(a.url, body, header)))
        pending.start()
        assert upstream.held.wait(120), "the held call never reached the upstream"
        a.kill()
        pending.join(30)
        deadline = time.monotonic() + 120
        while True:
            settled = _post(b.url, body, header)
            if "PAYMENT-RESPONSE" in settled.headers:
                break
            assert settled.json()["error"]["code"] == "in_progress", settled.text
            assert time.monotonic() < deadline, "the orphaned call was never settled"
            time.sleep(0.5)
        upstream.release.set()
        assert settled.status_code == 502 and settled.json()["error"]["code"] == "upstream_error"
        lost = _payment(settled)
        assert lost.cost == 0 and lost.p == 0
        again = _post(b.url, body, header)
        assert _payment(again) == lost and again.content == settled.content
        assert sum(SLOW in seen for seen in upstream.seen) == 1  # forwarded once, never again
        payer.accept(lost)

        # 3. A restarts on its data dir; a penalised call through it is in B's one log.
        a2 = replica("a").start()
        body, header = payer.request("ZKC-FORBIDDEN-DEMO", 3)
        penalised = _post(a2.url, body, header)  # penalised, never forwarded (403), signed
        assert penalised.status_code == 403, penalised.text
        assert penalised.json()["error"]["code"] == "policy_violation"
        assert not any(b"ZKC-FORBIDDEN-DEMO" in seen for seen in upstream.seen)
        fine = _payment(penalised)
        assert fine.p == deployment.params.penalty_max
        log = httpx.get(b.url + "/penalties", timeout=10).json()
        entries = [PenaltyEntry.model_validate(e) for e in log["entries"]]
        assert [e.evidence_hash for e in entries] == ["0x" + fine.evidence_hash.hex()]
        verify_log(entries, public_key(server_secret))
        assert httpx.get(a2.url + "/penalties", timeout=10).json() == log

        # 4. One ticket spent on two requests, one through each replica: slashed exactly once.
        cheat = Payer(new_note(vault, mirror), 31337, public_key(server_secret))
        wait_synced([a2, b], vault, cheat.note.index)
        body1, header1 = cheat.request("one", 11)
        body2, header2 = cheat.request("two", 12, ticket=0)
        assert _post(a2.url, body1, header1).status_code == 200
        refused = _post(b.url, body2, header2)
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "double_spend"
        cheater = note_id(cheat.note.k)
        deadline = time.monotonic() + 180
        while vault.note(cheater).status is not NoteStatus.SLASHED:
            assert time.monotonic() < deadline, "the double spend was never slashed"
            time.sleep(0.5)
        with psycopg.connect(postgres) as conn:
            jobs = conn.execute("SELECT note_id, status, signings FROM slash_jobs").fetchall()
        assert jobs == [(str(cheater), "done", 1)] or _settling(postgres, cheater)
        slashed = vault.contract.events.Slashed().get_logs(from_block=start)
        assert [e["args"]["id"] for e in slashed] == [cheater]

        # Nothing was charged twice: the store holds one reply per ticket, as the client saw.
        with psycopg.connect(postgres) as conn:
            rows = conn.execute("SELECT count(*) FROM nullifiers WHERE kind = 'call'").fetchone()
        assert rows is not None and rows[0] == 3 + 1  # three calls of the payer, one of the cheat
        cost = _payment(first).cost
        assert [(s.n, s.C, s.P) for s in payer.note.states] == [
            (0, 0, 0),
            (1, cost, 0),
            (2, cost, 0),
        ]


def wait_synced(replicas: list[Replica], vault: CreditVaultClient, index: int) -> None:
    """Both replicas' mirrors hold the checkpoint with the new note (they poll every 0.2 s)."""
    deadline = time.monotonic() + 60
    for r in replicas:
        while httpx.get(r.url + "/healthz", timeout=5).json()["chain"]["last_block"] < int(
            vault.w3.eth.block_number
        ):
            assert time.monotonic() < deadline, f"{r.name} did not catch up"
            time.sleep(0.2)


def _settling(dsn: str, cheater: int) -> bool:
    """A job still `signed` while its receipt is being confirmed counts once too."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT status, signings FROM slash_jobs WHERE note_id = %s", (str(cheater),)
        ).fetchone()
    return row is not None and row[1] == 1 and row[0] in ("signed", "done")


def _swallow(fn: Callable[[], object]) -> None:
    with contextlib.suppress(httpx.HTTPError):  # the replica serving it was killed
        fn()
