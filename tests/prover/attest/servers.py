"""A real HTTP(S) server in a thread for the client-side tests (uvicorn, 127.0.0.1, free port).

TLS uses the self-signed test certificate of tests/vectors/tls/ (README there).
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from pathlib import Path
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp

TLS_DIR = Path(__file__).resolve().parents[2] / "vectors" / "tls"
TLS_CERT = TLS_DIR / "gateway-test-cert.pem"
TLS_KEY = TLS_DIR / "gateway-test-key.pem"
TLS_SPKI_SHA256 = "006c68c78945840c1c9cb5e3028435c9dc085c3a1f4ee597a776f60dd8389b1d"


def client_tls_context() -> ssl.SSLContext:
    """Trusts the test certificate only."""
    return ssl.create_default_context(cafile=str(TLS_CERT))


class Server:
    """`with Server(app, tls=True) as url:` — uvicorn in a thread, stopped on exit."""

    def __init__(self, app: ASGIApp, *, tls: bool = False) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self._sock.getsockname()[1]}"
        config = uvicorn.Config(
            app,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ssl_certfile=str(TLS_CERT) if tls else None,
            ssl_keyfile=str(TLS_KEY) if tls else None,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    def __enter__(self) -> str:
        self._thread.start()
        deadline = time.monotonic() + 60
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        return self.url

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self._sock.close()
