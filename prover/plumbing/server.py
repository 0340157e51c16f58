"""uvicorn in a thread of this process: bound before it starts, ready when `start` returns.

The socket is bound at construction (port 0 = a free port the kernel picks, no race between
choosing a port and binding it), so `url` is known before the app exists: a gateway's URL can
go into a deployment that the app is built from. `start(app)` runs uvicorn on that socket in a
daemon thread and returns once it serves; `stop()` asks it to exit, joins the thread and closes
the socket. `with ThreadedServer(app) as base_url:` does both.

uvicorn is configured for an embedded server: no logging configuration of its own (records go to
this process's root logger), warnings only, no access log, no lifespan, 2 s graceful shutdown;
`options` adds or overrides `uvicorn.Config` arguments (TLS files, a custom HTTP protocol); with
`ssl_certfile` among them the URLs are `https://`.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from prover.plumbing.errors import ServerStartError

DEFAULT_START_TIMEOUT = 30.0
JOIN_TIMEOUT = 10.0


def bound_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening TCP socket on `host:port` (0: a free port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


class ThreadedServer:
    """A uvicorn server on a socket bound now, run in a thread by `start`."""

    def __init__(
        self,
        app: ASGIApp | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        start_timeout: float = DEFAULT_START_TIMEOUT,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        self._app = app
        self._options = dict(options or {})
        self._sock = bound_socket(host, port)
        self.host = host
        self.port: int = self._sock.getsockname()[1]
        scheme = "https" if self._options.get("ssl_certfile") else "http"
        self.base_url = f"{scheme}://{host}:{self.port}"
        self.url = self.base_url + "/"
        self._start_timeout = start_timeout
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, app: ASGIApp | None = None) -> str:
        """Serve `app` (or the one given at construction); returns `base_url` once serving."""
        served = app if app is not None else self._app
        if served is None:
            raise ServerStartError("no ASGI app to serve")
        if self._server is not None:
            raise ServerStartError(f"the server on {self.base_url} was already started")
        settings: dict[str, Any] = {
            "log_config": None,
            "log_level": "warning",
            "access_log": False,
            "lifespan": "off",
            "timeout_graceful_shutdown": 2,
        }
        config = uvicorn.Config(served, **(settings | self._options))
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(
            target=self._run, args=(server,), name=f"uvicorn-{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + self._start_timeout
        while not server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                self.stop()
                why = (
                    f"it failed: {self._failure!r}"
                    if self._failure is not None
                    else f"not within {self._start_timeout:.0f} s"
                )
                raise ServerStartError(
                    f"the server on {self.base_url} did not start: {why}"
                ) from self._failure
            time.sleep(0.01)
        return self.base_url

    def _run(self, server: uvicorn.Server) -> None:
        try:
            server.run(sockets=[self._sock])
        except BaseException as exc:  # reported by `start` (a thread's exception is lost)
            self._failure = exc

    def stop(self) -> None:
        """Ask uvicorn to exit, join its thread, close the socket (idempotent)."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(JOIN_TIMEOUT)
        self._sock.close()

    def __enter__(self) -> str:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
