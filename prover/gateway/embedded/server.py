"""Run the embedded upstream as a real HTTP server on a free loopback port.

`serve()` binds the socket itself (port 0 = a free port chosen by the kernel), prints one line
`LISTENING http://127.0.0.1:<port>` on stdout and runs uvicorn on that socket — no race between
picking a port and binding it. `EmbeddedUpstreamProcess` starts that in a subprocess for the demo
and tests and stops it by its PID. In this process:
`ThreadedServer(create_embedded_upstream())` (`prover.plumbing.server`).
"""

from __future__ import annotations

import selectors
import subprocess
import sys
import tempfile
import time
from types import TracebackType

import uvicorn

from prover.gateway.embedded.app import create_embedded_upstream
from prover.gateway.embedded.errors import EmbeddedServerError
from prover.plumbing.server import bound_socket
from prover.toolchain.process import stop_process

READY_PREFIX = "LISTENING "


def serve(host: str = "127.0.0.1", port: int = 0, *, overrun_tokens: int = 0) -> None:
    """Blocking: serve the embedded upstream on `host:port` until terminated."""
    sock = bound_socket(host, port)
    bound = sock.getsockname()[1]
    app = create_embedded_upstream(overrun_tokens=overrun_tokens)
    config = uvicorn.Config(
        app, log_config=None, log_level="warning", access_log=False, lifespan="off"
    )
    print(f"{READY_PREFIX}http://{host}:{bound}", flush=True)
    uvicorn.Server(config).run(sockets=[sock])


class EmbeddedUpstreamProcess:
    """`with EmbeddedUpstreamProcess() as base_url:` — a uvicorn subprocess on 127.0.0.1."""

    def __init__(self, *, overrun_tokens: int = 0, start_timeout: float = 30.0) -> None:
        self._args = [sys.executable, "-m", "prover.gateway.embedded", "--port", "0"]
        if overrun_tokens:
            self._args += ["--overrun-tokens", str(overrun_tokens)]
        self._start_timeout = start_timeout
        self._proc: subprocess.Popen[str] | None = None
        self._stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in __exit__
        self.base_url = ""

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self) -> str:
        proc = subprocess.Popen(
            self._args, stdout=subprocess.PIPE, stderr=self._stderr, text=True, bufsize=1
        )
        self._proc = proc
        assert proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            deadline = time.monotonic() + self._start_timeout
            while time.monotonic() < deadline:
                if sel.select(timeout=max(0.0, deadline - time.monotonic())):
                    line = proc.stdout.readline()
                    if line.startswith(READY_PREFIX):
                        self.base_url = line[len(READY_PREFIX) :].strip()
                        return self.base_url
                    if not line:
                        break
        self.stop()
        self._stderr.seek(0)
        raise EmbeddedServerError(f"embedded upstream did not start: {self._stderr.read()[-2000:]}")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        stop_process(proc)
        if proc.stdout is not None:
            proc.stdout.close()

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        self._stderr.close()
