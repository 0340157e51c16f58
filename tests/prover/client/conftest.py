"""Fixtures for the transport tests: a real HTTP server that echoes what it received, and a tiny
real SOCKS5 server that records each CONNECT (username, password, address type, host)."""

from __future__ import annotations

import contextlib
import json
import select
import socket
import socketserver
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

PROXY_ONLY_NAME = "gateway.zkcredits.test"
"""A host name only the test SOCKS server can resolve (`.test` never resolves on this machine)."""


@dataclass
class EchoServer:
    """Each request: the headers it carried and the client (host, port) of its TCP connection."""

    port: int
    requests: list[dict[str, object]] = field(default_factory=list)
    connections: list[tuple[str, int]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class _EchoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive would be possible: the client must not use it
    server: _EchoHTTPServer

    def _reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        record: dict[str, object] = {
            "method": self.command,
            "path": self.path,
            "headers": [[k, v] for k, v in self.headers.items()],
            "client": list(self.client_address),
            "body": body.decode(errors="replace"),
        }
        self.server.record.requests.append(record)
        if self.path == "/rpc":  # a JSON-RPC answer for web3 (eth_chainId)
            request = json.loads(body)
            payload = json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": "0x7a69"})
        else:
            payload = json.dumps(record)
        data = payload.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = _reply
    do_POST = _reply

    def log_message(self, format: str, *args: object) -> None:
        pass


class _EchoHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    record: EchoServer

    def verify_request(self, request: object, client_address: object) -> bool:
        assert isinstance(client_address, tuple)
        self.record.connections.append((str(client_address[0]), int(client_address[1])))
        return True


@pytest.fixture
def echo_server() -> Iterator[EchoServer]:
    server = _EchoHTTPServer(("127.0.0.1", 0), _EchoHandler)
    server.record = EchoServer(port=server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server.record
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class SocksServer:
    """Every CONNECT it saw. `refuse=True` answers every CONNECT with "connection refused";
    `fail_first=N` answers the first N with "general SOCKS server failure" (Tor's reply when an
    exit could not reach the target), then serves."""

    port: int
    hosts: dict[str, str]  # names this proxy resolves (its own "remote DNS")
    refuse: bool = False
    fail_first: int = 0
    connects: list[dict[str, object]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"socks5h://127.0.0.1:{self.port}"

    @property
    def remote_name(self) -> str:
        return PROXY_ONLY_NAME


def _read(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("client closed during the SOCKS handshake")
        data += chunk
    return data


class _SocksHandler(socketserver.BaseRequestHandler):
    server: _SocksTCPServer

    def handle(self) -> None:
        # a client may hang up mid-handshake (the backend test does that on purpose)
        with contextlib.suppress(ConnectionError, OSError):
            self._handle()

    def _handle(self) -> None:
        sock: socket.socket = self.request
        version, count = _read(sock, 2)
        methods = _read(sock, count)
        if version != 5 or 2 not in methods:  # this proxy demands username/password
            sock.sendall(b"\x05\xff")
            return
        sock.sendall(b"\x05\x02")
        _ver, ulen = _read(sock, 2)
        username = _read(sock, ulen).decode()
        (plen,) = _read(sock, 1)
        password = _read(sock, plen).decode()
        sock.sendall(b"\x01\x00")
        _v, command, _rsv, atyp = _read(sock, 4)
        if atyp == 3:
            host = _read(sock, _read(sock, 1)[0]).decode()
        elif atyp == 1:
            host = socket.inet_ntoa(_read(sock, 4))
        else:
            host = socket.inet_ntop(socket.AF_INET6, _read(sock, 16))
        (port,) = struct.unpack("!H", _read(sock, 2))
        record = self.server.record
        record.connects.append(
            {"username": username, "password": password, "atyp": atyp, "host": host, "port": port}
        )
        if record.refuse or command != 1:
            sock.sendall(b"\x05\x05\x00\x01" + bytes(6))
            return
        if len(record.connects) <= record.fail_first:
            sock.sendall(b"\x05\x01\x00\x01" + bytes(6))
            return
        upstream = socket.create_connection((record.hosts.get(host, host), port), timeout=10)
        sock.sendall(b"\x05\x00\x00\x01" + bytes(6))
        with upstream:
            _relay(sock, upstream)


def _relay(a: socket.socket, b: socket.socket) -> None:
    peers = {a: b, b: a}
    while True:
        readable, _, _ = select.select(list(peers), [], [], 10)
        if not readable:
            return
        for sock in readable:
            data = sock.recv(65536)
            if not data:
                return
            peers[sock].sendall(data)


class _SocksTCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    record: SocksServer


def _start_socks(refuse: bool) -> tuple[_SocksTCPServer, SocksServer]:
    server = _SocksTCPServer(("127.0.0.1", 0), _SocksHandler)
    server.record = SocksServer(
        port=server.server_address[1], hosts={PROXY_ONLY_NAME: "127.0.0.1"}, refuse=refuse
    )
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    return server, server.record


@pytest.fixture
def socks_server() -> Iterator[SocksServer]:
    server, record = _start_socks(refuse=False)
    try:
        yield record
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def flaky_socks_server() -> Iterator[SocksServer]:
    """Fails the first two CONNECTs as a Tor exit that could not connect would, then serves."""
    server, record = _start_socks(refuse=False)
    record.fail_first = 2
    try:
        yield record
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def refusing_socks_server() -> Iterator[SocksServer]:
    server, record = _start_socks(refuse=True)
    try:
        yield record
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def dead_port() -> int:
    """A loopback port nothing listens on (bound once, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
