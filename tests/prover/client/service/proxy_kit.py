"""Running the real proxy in a thread for the money and outage tests, and a TCP forwarder that
stands for a network path that can go down and come back (a gateway or chain RPC behind it)."""

from __future__ import annotations

import asyncio
import contextlib
import select
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from prover.client.payer.payer import Payer
from prover.client.profile import new_token
from prover.client.service.ledger import ProxyLedger
from prover.client.service.reachability import GatewayGate, gateway_probe
from prover.client.service.run import bind_socket, server
from prover.client.why_not import Timing

TOKEN = new_token()


@dataclass
class RunningProxy:
    base: str
    port: int
    ledger: ProxyLedger
    gate: GatewayGate

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


@contextlib.contextmanager
def running_proxy(payer: Payer, *, probe_timeout_s: float = 5.0) -> Iterator[RunningProxy]:
    """The proxy as `client serve` builds it: ledger, gate, pre-bound socket, uvicorn."""
    timing = Timing.of(payer.pin, 0)  # Anvil: final at once
    payer.notes.timing = timing  # as `Session.payer` builds it for `client serve`
    ledger = ProxyLedger(payer.wallet, payer.pin, timing)
    probe = gateway_probe(payer.transport, payer.pin, probe_timeout_s)
    gate = GatewayGate(probe, payer.pin.gateway_url, on_back=payer.settle_pending)
    sock = bind_socket("127.0.0.1", 0)
    port = int(sock.getsockname()[1])
    srv = server(payer, host="127.0.0.1", port=port, token=TOKEN, ledger=ledger, gate=gate)
    thread = threading.Thread(
        target=lambda: asyncio.run(srv.serve(sockets=[sock])), name="proxy", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline and thread.is_alive(), "proxy did not start"
        time.sleep(0.02)
    try:
        yield RunningProxy(f"http://127.0.0.1:{port}/v1", port, ledger, gate)
    finally:
        srv.should_exit = True
        thread.join(10)
        sock.close()


@dataclass
class Forwarder:
    """127.0.0.1:port → target; `down()` closes the port (connections refused), `up()` opens
    it again. `muted`: each connection is accepted and its request read, then closed with no
    answer (a gateway that went away after the request left: the ticket stays in flight).
    Every thread it starts ends when it is closed."""

    target: tuple[str, int]
    port: int = 0
    _listener: socket.socket | None = None
    _threads: list[threading.Thread] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    muted: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = int(listener.getsockname()[1])
        self._listener = listener
        thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        thread.start()
        self._threads.append(thread)

    def down(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):  # wakes the blocked accept(); stops listening
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None

    def close(self) -> None:
        self._stop.set()
        self.down()
        for thread in self._threads:
            thread.join(5)

    def _accept(self, listener: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed: down()
            thread = threading.Thread(target=self._pipe, args=(client,), daemon=True)
            thread.start()

    def _pipe(self, client: socket.socket) -> None:
        if self.muted:
            with client, contextlib.suppress(OSError):
                client.settimeout(2.0)
                while client.recv(65536):  # read what the client sends, answer nothing
                    pass
            return
        with client, contextlib.suppress(OSError):
            upstream = socket.create_connection(self.target, timeout=30)
            with upstream:
                peers = {client: upstream, upstream: client}
                while not self._stop.is_set():
                    readable, _, _ = select.select(list(peers), [], [], 0.5)
                    for sock in readable:
                        data = sock.recv(65536)
                        if not data:
                            return
                        peers[sock].sendall(data)


@contextlib.contextmanager
def forwarder_to(url: str) -> Iterator[Forwarder]:
    hostport = url.split("://", 1)[1].split("/", 1)[0]
    host, port = hostport.rsplit(":", 1)
    forwarder = Forwarder((host, int(port)))
    forwarder.up()
    try:
        yield forwarder
    finally:
        forwarder.close()
