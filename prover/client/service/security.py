"""Who may talk to the local proxy (PROTOCOL §13): no web page can spend the user's credit.

- The proxy binds 127.0.0.1 by default. Another address of this machine (an interface address,
  or 0.0.0.0 / :: for all of them, e.g. for agents in Docker containers) is accepted only as an
  IP literal and only together with the bearer token (`check_bind_host`); the caller prints a
  warning. Host names are refused (bind by address).
- Every request carries `Authorization: Bearer <token>` (generated at `init`, stored with the
  wallet), compared in constant time.
- `Host` must name the proxy: `127.0.0.1:<port>` or `localhost:<port>`, the bound address when it
  is a specific one, or a name given with `--allow-host` (e.g. `host.docker.internal`): a
  DNS-rebinding page sends its own host name and is refused.
- A request with an `Origin` header is refused unless that origin is on the allow-list (empty by
  default; browsers always send `Origin` on cross-origin fetches, `null` included).
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from prover.client.errors import ProxyAuthError, ProxyConfigError, ProxySecurityError

LOOPBACK_HOST = "127.0.0.1"
MIN_TOKEN_CHARS = 32


def is_loopback_bind(host: str) -> bool:
    return host == LOOPBACK_HOST


def check_bind_host(host: str, token: str | None = None) -> str:
    """127.0.0.1 always; another IP address of this machine only with a bearer token of at least
    32 characters (every request must then carry it). Anything else is `ProxyConfigError`."""
    if is_loopback_bind(host):
        return host
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ProxyConfigError(
            f"--host {host!r}: give an IP address (127.0.0.1, an address of this machine, or "
            "0.0.0.0 for every interface), not a host name",
            field="host",
        ) from None
    if token is None or len(token) < MIN_TOKEN_CHARS:
        raise ProxyConfigError(
            f"--host {host}: the proxy spends the wallet's credit, so it listens beyond "
            f"{LOOPBACK_HOST} only behind its bearer token (at least {MIN_TOKEN_CHARS} characters)",
            field="host",
        )
    return host


def _host_port(host: str, port: int) -> str:
    """How a client writes `host:port` in its Host header (IPv6 in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _wildcard(host: str) -> bool:
    return host in ("0.0.0.0", "::")


@dataclass(frozen=True)
class ProxySecurity:
    """The checks every request passes before anything else runs."""

    token: str
    port: int
    allowed_origins: frozenset[str] = field(default_factory=frozenset)
    bind_host: str = LOOPBACK_HOST
    extra_hosts: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if len(self.token) < MIN_TOKEN_CHARS:
            raise ProxyConfigError("the bearer token must be at least 32 characters", field="token")
        if not 0 < self.port < 65536:
            raise ProxyConfigError(f"port {self.port} is not a TCP port", field="port")

    @classmethod
    def build(
        cls,
        token: str,
        port: int,
        origins: Iterable[str] = (),
        *,
        bind_host: str = LOOPBACK_HOST,
        hosts: Iterable[str] = (),
    ) -> ProxySecurity:
        """`hosts`: extra Host values (`name` or `name:port`; a bare name gets the port)."""
        extra = frozenset(
            (h if h.rsplit(":", 1)[-1].isdigit() and not h.endswith("]") else f"{h}:{port}")
            .lower()
            .strip()
            for h in hosts
        )
        return cls(
            token=token,
            port=port,
            allowed_origins=frozenset(o.rstrip("/") for o in origins),
            bind_host=bind_host,
            extra_hosts=extra,
        )

    @property
    def allowed_hosts(self) -> frozenset[str]:
        names = {f"{LOOPBACK_HOST}:{self.port}", f"localhost:{self.port}"}
        if not is_loopback_bind(self.bind_host) and not _wildcard(self.bind_host):
            names.add(_host_port(self.bind_host, self.port).lower())
        return frozenset(names | self.extra_hosts)

    def check(self, headers: Mapping[str, str]) -> None:
        """Raise `ProxySecurityError` (status 401 or 403) naming what is wrong."""
        host = headers.get("host")
        if host is None or host.lower() not in self.allowed_hosts:
            raise ProxySecurityError(
                f"Host {host!r} is not a name of this proxy (allow it with --allow-host)",
                field="host",
            )
        origin = headers.get("origin")
        if origin is not None and origin.rstrip("/") not in self.allowed_origins:
            raise ProxySecurityError(f"Origin {origin!r} is not allowed", field="origin")
        auth = headers.get("authorization")
        if auth is None:
            raise _unauthorized("missing Authorization: Bearer <token>")
        scheme, _, presented = auth.partition(" ")
        if scheme.lower() != "bearer" or not presented:
            raise _unauthorized("Authorization must be `Bearer <token>`")
        if not hmac.compare_digest(presented.strip().encode(), self.token.encode()):
            raise _unauthorized("wrong bearer token")


def _unauthorized(message: str) -> ProxyAuthError:
    return ProxyAuthError(message, field="authorization")
