"""A real HTTP(S) server in a thread for the client-side tests (uvicorn, 127.0.0.1, free port).

TLS uses the self-signed test certificate of tests/vectors/tls/ (README there).
"""

from __future__ import annotations

import ssl
from pathlib import Path

from starlette.types import ASGIApp

from prover.plumbing.server import ThreadedServer

TLS_DIR = Path(__file__).resolve().parents[2] / "vectors" / "tls"
TLS_CERT = TLS_DIR / "gateway-test-cert.pem"
TLS_KEY = TLS_DIR / "gateway-test-key.pem"
TLS_SPKI_SHA256 = "006c68c78945840c1c9cb5e3028435c9dc085c3a1f4ee597a776f60dd8389b1d"


def client_tls_context() -> ssl.SSLContext:
    """Trusts the test certificate only."""
    return ssl.create_default_context(cafile=str(TLS_CERT))


def Server(app: ASGIApp, *, tls: bool = False) -> ThreadedServer:
    """`with Server(app, tls=True) as url:` — uvicorn in a thread, stopped on exit."""
    options = {"ssl_certfile": str(TLS_CERT), "ssl_keyfile": str(TLS_KEY)} if tls else None
    return ThreadedServer(app, start_timeout=60, options=options)
