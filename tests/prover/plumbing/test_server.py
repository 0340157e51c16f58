"""`ThreadedServer`: a real uvicorn on port 0 in a thread: bound first, serving, stopped."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from prover.plumbing.errors import ServerStartError
from prover.plumbing.server import ThreadedServer

TLS_DIR = Path(__file__).resolve().parents[2] / "vectors" / "tls"


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, str]:  # async: runs on the server's own thread
        return {"pong": threading.current_thread().name}

    return app


def _refused(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(5)
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_the_port_is_bound_before_the_app_exists_and_served_once_started() -> None:
    server = ThreadedServer()
    try:
        assert server.port != 0 and server.url == f"http://127.0.0.1:{server.port}/"
        assert not _refused(server.port)  # bound and listening already: the URL can be published
        base = server.start(_app())
        assert base == server.base_url and server.running
        reply = httpx.get(f"{base}/ping", trust_env=False, timeout=30)
        assert reply.status_code == 200 and reply.json()["pong"].startswith("uvicorn-")
    finally:
        server.stop()
    assert not server.running and _refused(server.port)


def test_as_a_context_manager_it_serves_inside_and_is_stopped_after() -> None:
    with ThreadedServer(_app()) as base:
        port = int(base.rsplit(":", 1)[1])
        assert httpx.get(f"{base}/ping", trust_env=False, timeout=30).status_code == 200
    assert _refused(port)


def test_two_servers_get_different_ports() -> None:
    with ThreadedServer(_app()) as a, ThreadedServer(_app()) as b:
        assert a != b
        assert httpx.get(f"{a}/ping", trust_env=False, timeout=30).status_code == 200
        assert httpx.get(f"{b}/ping", trust_env=False, timeout=30).status_code == 200


def test_tls_options_serve_https_with_the_given_certificate() -> None:
    import ssl

    options = {
        "ssl_certfile": str(TLS_DIR / "gateway-test-cert.pem"),
        "ssl_keyfile": str(TLS_DIR / "gateway-test-key.pem"),
    }
    context = ssl.create_default_context(cafile=options["ssl_certfile"])
    with ThreadedServer(_app(), options=options) as base:
        assert base.startswith("https://")
        assert httpx.get(f"{base}/ping", verify=context, trust_env=False).status_code == 200


def test_a_server_that_cannot_start_is_a_named_error_and_frees_its_port(tmp_path: Path) -> None:
    server = ThreadedServer(_app(), options={"ssl_certfile": str(tmp_path / "absent.pem")})
    with pytest.raises(ServerStartError) as info:
        server.start()
    assert server.base_url in str(info.value) and "FileNotFoundError" in str(info.value)
    assert not server.running
    assert _refused(server.port)


def test_starting_without_an_app_or_twice_is_refused() -> None:
    bare = ThreadedServer()
    try:
        with pytest.raises(ServerStartError, match="no ASGI app"):
            bare.start()
    finally:
        bare.stop()
    with ThreadedServer(_app()) as _base, pytest.raises(ServerStartError, match="already"):
        _twice = ThreadedServer(_app())
        try:
            _twice.start()
            _twice.start()
        finally:
            _twice.stop()


def test_stop_is_idempotent_and_safe_before_start() -> None:
    server = ThreadedServer(_app())
    server.stop()
    server.stop()
    assert _refused(server.port)
