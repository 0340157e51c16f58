"""A private Tor network on loopback, offline, from the Debian `tor` binary (for tests and demos).

`PrivateTorNetwork` starts 3 directory authorities, a few exit relays (exiting only to
127.0.0.0/8) and one client with a SOCKS port, waits until the client has bootstrapped to 100 %
(polling its control port), and stops every tor process by its PID, then removes the data dirs.
Configuration: `zkcredits_testing.tor_config`.

Root: tor runs as root without complaint beyond a log warning (it refuses nothing we use); we do
not pass `User`, so every process runs as the current user and its PID is the one we hold.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from pydantic import BaseModel, ConfigDict

from zkcredits_testing.errors import TorControlError, TorStartError
from zkcredits_testing.tor_config import LOOPBACK, TorNode, authority_line, torrc
from zkcredits_testing.tor_control import TorControl

TOR_BINARY = Path("/usr/sbin/tor")
TOR_GENCERT = Path("/usr/bin/tor-gencert")
_PROGRESS = re.compile(r"PROGRESS=(\d+)")
_FINGERPRINT = re.compile(r"^\S+ ((?:[0-9A-F]{4} ?){10})$", re.MULTILINE)


class TorNetworkInfo(BaseModel):
    """How to use (and inspect) a running private Tor network."""

    model_config = ConfigDict(frozen=True)

    socks_host: str
    socks_port: int
    control_port: int  # the client's control port (cookie authentication)
    control_cookie: Path
    pids: tuple[int, ...]
    exit_nicknames: tuple[str, ...]

    @property
    def socks_url(self) -> str:
        return f"socks5h://{self.socks_host}:{self.socks_port}"

    def control(self) -> TorControl:
        """A new, unconnected control connection to the client (use as a context manager)."""
        return TorControl(self.socks_host, self.control_port, self.control_cookie)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, chars: int = 2500) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return "(no log)"


def _run(args: list[str], *, stdin: str | None = None, timeout: float = 60.0) -> str:
    try:
        done = subprocess.run(
            args, input=stdin, capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TorStartError(f"{args[0]} could not run: {exc}") from exc
    if done.returncode != 0:
        raise TorStartError(f"{' '.join(args)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return done.stdout


class PrivateTorNetwork:
    """Owns the tor processes of one private network. Use as a context manager."""

    def __init__(
        self,
        *,
        exits: int = 2,
        bootstrap_timeout: float = 180.0,
        base_dir: Path | None = None,
        keep_dirs: bool = False,
        tor_binary: Path = TOR_BINARY,
        gencert_binary: Path = TOR_GENCERT,
    ) -> None:
        if exits < 1:
            raise TorStartError(f"exits must be at least 1, got {exits}")
        self._exits = exits
        self._timeout = bootstrap_timeout
        self._base_arg = base_dir
        self._keep_dirs = keep_dirs
        self._tor = tor_binary
        self._gencert = gencert_binary
        self._base: Path | None = None
        self._procs: list[tuple[TorNode, subprocess.Popen[bytes]]] = []
        self.info: TorNetworkInfo | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> TorNetworkInfo:
        if self._base is not None:
            raise TorStartError("this private Tor network is already started")
        for binary in (self._tor, self._gencert):
            if not binary.exists():
                raise TorStartError(
                    f"{binary} is missing: install the Debian package `tor` "
                    "(scripts/setup-system.sh)"
                )
        if self._base_arg is not None:
            self._base_arg.mkdir(parents=True, exist_ok=True)
        self._base = Path(tempfile.mkdtemp(prefix="zk-tor-", dir=self._base_arg))
        try:
            self.info = self._start()
        except BaseException:
            self.stop()
            raise
        return self.info

    def stop(self) -> None:
        """Stop every tor process by its PID (SIGTERM, then SIGKILL), then remove the data dirs."""
        for _node, proc in reversed(self._procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for _node, proc in reversed(self._procs):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        self._procs = []
        if self._base is not None and not self._keep_dirs:
            shutil.rmtree(self._base, ignore_errors=True)
        self._base = None
        self.info = None

    def __enter__(self) -> TorNetworkInfo:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- setup -----------------------------------------------------------------------------------

    def _node(self, role: str, nickname: str) -> TorNode:
        assert self._base is not None
        data_dir = self._base / nickname
        data_dir.mkdir(mode=0o700)
        relay = role != "client"
        return TorNode(
            role=role,
            nickname=nickname,
            data_dir=data_dir,
            control_port=_free_port(),
            or_port=_free_port() if relay else 0,
            dir_port=_free_port() if role == "authority" else 0,
            socks_port=_free_port() if not relay else 0,
        )

    def _authority_keys(self, node: TorNode) -> str:
        """Create the authority's v3 keys and relay identity; return its `DirAuthority` line."""
        keys = node.data_dir / "keys"
        keys.mkdir(mode=0o700)
        _run(
            [
                str(self._gencert),
                "--create-identity-key",
                "--passphrase-fd",
                "0",
                "-i",
                str(keys / "authority_identity_key"),
                "-s",
                str(keys / "authority_signing_key"),
                "-c",
                str(keys / "authority_certificate"),
                "-m",
                "12",
                "-a",
                f"{LOOPBACK}:{node.dir_port}",
            ],
            stdin="\n",
        )
        certificate = (keys / "authority_certificate").read_text()
        v3ident = next(
            (
                line.split()[1]
                for line in certificate.splitlines()
                if line.startswith("fingerprint ")
            ),
            None,
        )
        listing = _run(
            [
                str(self._tor),
                "--ignore-missing-torrc",
                "-f",
                "/dev/null",
                "--DataDirectory",
                str(node.data_dir),
                "--ORPort",
                "1",
                "--Nickname",
                node.nickname,
                "--list-fingerprint",
            ]
        )
        match = _FINGERPRINT.search(listing)
        if v3ident is None or match is None:
            raise TorStartError(
                f"could not read the keys of authority {node.nickname}:\n{listing[-1000:]}"
            )
        return authority_line(node, v3ident, match.group(1).replace(" ", ""))

    def _start(self) -> TorNetworkInfo:
        authorities = [self._node("authority", f"auth{i}") for i in range(3)]
        exits = [self._node("exit", f"exit{i}") for i in range(self._exits)]
        client = self._node("client", "client")
        auth_lines = [self._authority_keys(node) for node in authorities]
        for node in [*authorities, *exits, client]:
            node.torrc_path.write_text(torrc(node, auth_lines, os.getpid()))
            self._launch(node)
        self._wait_ready(client, [node.nickname for node in exits])
        return TorNetworkInfo(
            socks_host=LOOPBACK,
            socks_port=client.socks_port,
            control_port=client.control_port,
            control_cookie=client.cookie_path,
            pids=tuple(proc.pid for _node, proc in self._procs),
            exit_nicknames=tuple(node.nickname for node in exits),
        )

    def _launch(self, node: TorNode) -> None:
        with (node.data_dir / "stdout.log").open("wb") as out:
            proc = subprocess.Popen(
                [str(self._tor), "-f", str(node.torrc_path)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._procs.append((node, proc))

    def _wait_ready(self, client: TorNode, exits: list[str]) -> None:
        """Wait until the client is 100 % bootstrapped and holds a usable exit entry (consensus
        `Exit` flag and a microdescriptor whose policy accepts) for every exit relay."""
        deadline = time.monotonic() + self._timeout
        progress = -1
        while time.monotonic() < deadline:
            for node, proc in self._procs:
                if proc.poll() is not None:
                    raise TorStartError(
                        f"tor {node.nickname} exited with {proc.returncode}:\n"
                        f"{_tail(node.data_dir / 'stdout.log')}\n{_tail(node.log_path)}"
                    )
            if client.cookie_path.exists():
                try:
                    with TorControl(LOOPBACK, client.control_port, client.cookie_path) as control:
                        phase = control.getinfo("status/bootstrap-phase")
                        found = _PROGRESS.search(phase)
                        progress = int(found.group(1)) if found else progress
                        if progress == 100 and all(_exit_usable(control, n) for n in exits):
                            return
                except (TorControlError, OSError):
                    pass
            time.sleep(0.5)
        tails = "\n".join(
            f"--- {node.nickname} ---\n{_tail(node.log_path, 1500)}" for node, _p in self._procs
        )
        raise TorStartError(
            f"the private Tor client was not ready within {self._timeout}s (bootstrap "
            f"{progress}%, exits {', '.join(exits)} must be usable):\n{tails}"
        )


def _exit_usable(control: TorControl, nickname: str) -> bool:
    status = control.getinfo(f"ns/name/{nickname}")
    flags = next((line.split()[1:] for line in status.splitlines() if line.startswith("s ")), [])
    if "Exit" not in flags:
        return False
    micro = control.getinfo(f"md/name/{nickname}")
    return any(line.startswith("p accept") for line in micro.splitlines())
