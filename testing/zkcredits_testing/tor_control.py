"""A minimal Tor control-port client (control-spec v1): authenticate, send commands, read events.

Enough for the private test network (`zkcredits_testing.tor`): poll bootstrap progress, list
circuits and streams, and subscribe to STREAM events to map each SOCKS request to its circuit.
"""

from __future__ import annotations

import socket
from pathlib import Path
from types import TracebackType

from pydantic import BaseModel, ConfigDict

from zkcredits_testing.errors import TorControlError


class TorReply(BaseModel):
    """One reply: its status code and its lines (without the `250-`/`250 ` prefixes)."""

    model_config = ConfigDict(frozen=True)

    status: int
    lines: tuple[str, ...]


class TorControl:
    """One authenticated control connection (cookie authentication)."""

    def __init__(self, host: str, port: int, cookie_path: Path, *, timeout: float = 30.0) -> None:
        self._address = (host, port)
        self._cookie_path = cookie_path
        self._timeout = timeout
        self._sock: socket.socket | None = None
        self._buffer = b""
        self.events: list[TorReply] = []
        """Asynchronous (650) replies received while waiting for a command's answer."""

    def connect(self) -> TorControl:
        try:
            self._sock = socket.create_connection(self._address, timeout=self._timeout)
        except OSError as exc:
            raise TorControlError(f"cannot reach the control port {self._address}: {exc}") from exc
        cookie = self._cookie_path.read_bytes().hex()
        self.command(f"AUTHENTICATE {cookie}")
        return self

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> TorControl:
        return self.connect()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def command(self, line: str) -> TorReply:
        """Send one command; return its synchronous reply (events seen meanwhile go to `events`)."""
        if self._sock is None:
            raise TorControlError("the control connection is not open")
        self._sock.sendall(line.encode() + b"\r\n")
        while True:
            reply = self.read_reply()
            if reply.status == 650:
                self.events.append(reply)
                continue
            if reply.status != 250:
                verb = line.split(" ", 1)[0]
                raise TorControlError(f"{verb} failed: {reply.status} {' '.join(reply.lines)}")
            return reply

    def getinfo(self, key: str) -> str:
        """`GETINFO key`: the value (multi-line values joined by newlines)."""
        reply = self.command(f"GETINFO {key}")
        values: list[str] = []
        for text in reply.lines:
            if text == "OK":
                continue
            if text.startswith(f"{key}="):
                values.append(text[len(key) + 1 :])
            else:
                values.append(text)
        return "\n".join(values).strip()

    def read_reply(self) -> TorReply:
        """Read one complete reply (handles `NNN-`, `NNN+` data blocks and the final `NNN `)."""
        lines: list[str] = []
        while True:
            raw = self._read_line()
            if len(raw) < 4:
                raise TorControlError(f"malformed control reply line: {raw!r}")
            status, kind, text = int(raw[:3]), raw[3], raw[4:]
            if kind == "+":
                block = [text]
                while (data := self._read_line()) != ".":
                    block.append(data[1:] if data.startswith("..") else data)
                lines.append("\n".join(block))
            else:
                lines.append(text)
            if kind == " ":
                return TorReply(status=status, lines=tuple(lines))

    def _read_line(self) -> str:
        assert self._sock is not None
        while b"\r\n" not in self._buffer:
            chunk = self._sock.recv(65536)
            if not chunk:
                raise TorControlError(f"the control port {self._address} closed the connection")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\r\n", 1)
        return line.decode("utf-8", errors="replace")
