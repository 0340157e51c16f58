"""A throwaway PostgreSQL server: initdb in a temp dir, `postgres` started directly, stopped by PID.

Used by tests (and demos) that need the PostgreSQL backend of the nullifier store. Nothing here
touches a system-wide cluster: the server lives in its own temporary directory, listens on a Unix
socket inside that directory and on a free loopback TCP port, and trusts local connections (it is
reachable only from this machine, and only for as long as the context manager runs).

Root: PostgreSQL refuses to run as root. When this process is root, `initdb` and `postgres` run as
an unprivileged system user: `postgres` (created by the Debian package) if it exists, otherwise a
`zkcredits-pg` system user this module creates with `useradd --system`. The temp dir is chowned to
that user. The switch is done by `subprocess.Popen(user=..., group=..., extra_groups=[])`, which
calls setuid/setgid in the child before exec: the PID we hold is the postmaster's own (no `su` or
`runuser` process in between), so SIGINT/SIGKILL by PID reach the server itself.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from pydantic import BaseModel, ConfigDict

from prover.toolchain.errors import ToolchainError
from zkcredits_testing.errors import PostgresStartError

SUPERUSER = "zkcredits"
"""Name of the database superuser `initdb` creates (trust authentication)."""

_FALLBACK_OS_USER = "zkcredits-pg"


class PostgresInfo(BaseModel):
    """How to reach (and stop) a running throwaway server."""

    model_config = ConfigDict(frozen=True)

    pid: int
    dsn: str  # Unix-socket DSN (libpq keyword form)
    tcp_dsn: str  # the same database over loopback TCP
    port: int
    socket_dir: str
    dbname: str
    user: str


def postgres_bin_dir() -> Path:
    """The newest `/usr/lib/postgresql/<major>/bin` that holds `initdb` and `postgres`."""
    found = []
    for candidate in Path("/usr/lib/postgresql").glob("*/bin"):
        if (candidate / "postgres").exists() and (candidate / "initdb").exists():
            try:
                found.append((int(candidate.parent.name), candidate))
            except ValueError:
                continue
    if not found:
        raise ToolchainError(
            "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: "
            "install the Debian package `postgresql` (scripts/setup-system.sh)"
        )
    return max(found)[1]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_os_user() -> pwd.struct_passwd | None:
    """None when not root (run as ourselves); otherwise an unprivileged user, created if needed."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", _FALLBACK_OS_USER):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    result = subprocess.run(
        [
            "useradd",
            "--system",
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            _FALLBACK_OS_USER,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise PostgresStartError(
            f"running as root and could not create system user {_FALLBACK_OS_USER!r}: "
            f"{result.stderr.strip()}"
        )
    return pwd.getpwnam(_FALLBACK_OS_USER)


def _tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError as exc:
        return f"(no log: {exc})"


class PostgresProcess:
    """Owns one throwaway PostgreSQL server. Use as a context manager (yields `PostgresInfo`)."""

    def __init__(
        self,
        *,
        dbname: str = "zkcredits",
        startup_timeout: float = 60.0,
        settings: dict[str, str] | None = None,
    ) -> None:
        self._dbname = dbname
        self._timeout = startup_timeout
        # Small footprint: the machine is shared. fsync stays on (the store's durability is real).
        self._settings = {
            "max_connections": "60",
            "shared_buffers": "16MB",
            "listen_addresses": "127.0.0.1",
            **(settings or {}),
        }
        self._dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self.info: PostgresInfo | None = None

    @property
    def log_path(self) -> Path:
        if self._dir is None:
            raise ToolchainError("this PostgreSQL is not started")
        return self._dir / "server.log"

    def start(self) -> PostgresInfo:
        if self._dir is not None:
            raise ToolchainError("this PostgreSQL is already started")
        bin_dir = postgres_bin_dir()
        os_user = _server_os_user()
        self._dir = Path(tempfile.mkdtemp(prefix="zkcredits-pg-"))
        try:
            return self._start(bin_dir, os_user)
        except BaseException:
            self.stop()
            raise

    def _start(self, bin_dir: Path, os_user: pwd.struct_passwd | None) -> PostgresInfo:
        assert self._dir is not None
        data_dir, socket_dir = self._dir / "data", self._dir / "sock"
        socket_dir.mkdir()
        self.log_path.touch()
        if os_user is not None:
            for path in (self._dir, socket_dir, self.log_path):
                os.chown(path, os_user.pw_uid, os_user.pw_gid)
        os.chmod(self._dir, 0o700)
        uid = gid = None
        groups: list[int] | None = None
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}
        if os_user is not None:
            uid, gid, groups = os_user.pw_uid, os_user.pw_gid, []
            env["HOME"] = str(self._dir)
        with self.log_path.open("ab") as log:
            init = subprocess.run(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(data_dir),
                    "-U",
                    SUPERUSER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--no-locale",
                    "--no-sync",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                check=False,
                user=uid,
                group=gid,
                extra_groups=groups,
            )
        if init.returncode != 0:
            raise PostgresStartError(
                f"initdb failed with exit code {init.returncode}; log tail:\n{_tail(self.log_path)}"
            )
        port = _free_port()
        args = [
            str(bin_dir / "postgres"),
            "-D",
            str(data_dir),
            "-k",
            str(socket_dir),
            "-p",
            str(port),
        ]
        for key, value in self._settings.items():
            args += ["-c", f"{key}={value}"]
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                args,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
                user=uid,
                group=gid,
                extra_groups=groups,
            )
        self._wait_ready(socket_dir, port)
        self._create_database(socket_dir, port)
        self.info = PostgresInfo(
            pid=self._proc.pid,
            dsn=f"host={socket_dir} port={port} dbname={self._dbname} user={SUPERUSER}",
            tcp_dsn=f"postgresql://{SUPERUSER}@127.0.0.1:{port}/{self._dbname}",
            port=port,
            socket_dir=str(socket_dir),
            dbname=self._dbname,
            user=SUPERUSER,
        )
        return self.info

    def _wait_ready(self, socket_dir: Path, port: int) -> None:
        import psycopg

        assert self._proc is not None
        deadline = time.monotonic() + self._timeout
        last = ""
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise PostgresStartError(
                    f"postgres exited with code {self._proc.returncode} before accepting "
                    f"connections; log tail:\n{_tail(self.log_path)}"
                )
            try:
                with psycopg.connect(
                    host=str(socket_dir),
                    port=port,
                    dbname="postgres",
                    user=SUPERUSER,
                    connect_timeout=2,
                ):
                    return
            except psycopg.OperationalError as exc:
                last = str(exc).strip()
                time.sleep(0.05)
        raise PostgresStartError(
            f"postgres did not accept connections within {self._timeout}s ({last}); "
            f"log tail:\n{_tail(self.log_path)}"
        )

    def _create_database(self, socket_dir: Path, port: int) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(
            host=str(socket_dir), port=port, dbname="postgres", user=SUPERUSER, autocommit=True
        ) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self._dbname)))

    def stop(self, timeout: float = 10.0) -> None:
        """Fast shutdown by PID (SIGINT), SIGKILL after `timeout` s; then remove the directory."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                # The postmaster leads its own session (start_new_session): its process group
                # is exactly the server and the backends it forked.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=timeout)
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        self.info = None

    def __enter__(self) -> PostgresInfo:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
