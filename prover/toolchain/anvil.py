"""A local Anvil chain: started from the npm binary on a free loopback port, stopped by PID."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx
from pydantic import BaseModel, ConfigDict

from prover.toolchain.errors import ToolchainError
from prover.toolchain.paths import foundry_binary
from prover.toolchain.process import stop_process

_LISTENING = re.compile(r"Listening on (127\.0\.0\.1|localhost):(\d+)")
ANVIL_CHAIN_ID = 31337


class ChainInfo(BaseModel):
    """How to reach (and stop) a running local chain."""

    model_config = ConfigDict(frozen=True)

    pid: int
    rpc_url: str
    chain_id: int


class AnvilProcess:
    """Owns one Anvil process. Use as a context manager or call `start()`/`stop()`."""

    def __init__(
        self,
        *,
        block_time: float | None = None,
        extra_args: list[str] | None = None,
        startup_timeout: float = 30.0,
        log_path: Path | None = None,
    ) -> None:
        self._args = [str(foundry_binary("anvil")), "--host", "127.0.0.1", "--port", "0"]
        if block_time is not None:
            self._args += ["--block-time", str(block_time)]
        self._args += extra_args or []
        self._timeout = startup_timeout
        self._log_path = log_path
        self._proc: subprocess.Popen[bytes] | None = None
        self.info: ChainInfo | None = None

    def start(self) -> ChainInfo:
        if self._proc is not None:
            raise ToolchainError("this Anvil is already started")
        if self._log_path is None:
            handle, name = tempfile.mkstemp(prefix="anvil-", suffix=".log")
            os.close(handle)
            self._log_path = Path(name)
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        with self._log_path.open("w") as log:
            # Output goes to a file, not a pipe: a detached chain must outlive this process.
            self._proc = subprocess.Popen(
                self._args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            port = self._read_port()
            rpc_url = f"http://127.0.0.1:{port}"
            chain_id = wait_until_answering(rpc_url, self._timeout)
        except BaseException:
            self.stop()
            raise
        self.info = ChainInfo(pid=self._proc.pid, rpc_url=rpc_url, chain_id=chain_id)
        return self.info

    def _read_port(self) -> int:
        assert self._proc is not None and self._log_path is not None
        deadline = time.monotonic() + self._timeout
        text = ""
        while time.monotonic() < deadline:
            text = self._log_path.read_text(errors="replace")
            match = _LISTENING.search(text)
            if match:
                return int(match.group(2))
            if self._proc.poll() is not None:
                break
            time.sleep(0.02)
        raise ToolchainError(f"anvil did not report a port; it printed:\n{text[-2000:]}")

    def detach(self) -> ChainInfo:
        """Leave the process running after this object is gone (stop it later by PID)."""
        if self._proc is None or self.info is None:
            raise ToolchainError("this Anvil is not running")
        self._proc = None
        return self.info

    def stop(self) -> None:
        """Stop this Anvil by its PID (terminate, then kill after 5 s)."""
        if self._proc is None:
            return
        stop_process(self._proc, timeout=5)
        self._proc = None

    def __enter__(self) -> ChainInfo:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def rpc_call(rpc_url: str, method: str, params: list[object] | None = None) -> object:
    reply = httpx.post(
        rpc_url,
        json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []},
        timeout=5.0,
    )
    reply.raise_for_status()
    body = reply.json()
    if "error" in body:
        raise ToolchainError(f"{method} failed: {json.dumps(body['error'])}")
    return body["result"]


def wait_until_answering(rpc_url: str, timeout: float) -> int:
    """Poll `eth_chainId` until the node answers; return the chain id."""
    deadline = time.monotonic() + timeout
    last_error = ""
    while time.monotonic() < deadline:
        try:
            result = rpc_call(rpc_url, "eth_chainId")
            return int(str(result), 16)
        except (httpx.HTTPError, ToolchainError) as exc:
            last_error = str(exc)
            time.sleep(0.05)
    raise ToolchainError(f"the chain at {rpc_url} did not answer within {timeout}s: {last_error}")


def stop_detached(pid: int, timeout: float = 5.0) -> bool:
    """Stop a chain started with `detach()` by its PID. Returns False if it was not running."""
    import signal

    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    return True
