"""Who may talk to the local proxy (PROTOCOL §13): no web page can spend the user's credit.

- The proxy binds 127.0.0.1 only (`check_bind_host` refuses anything else, including 0.0.0.0,
  ::, other interfaces and host names).
- Every request carries `Authorization: Bearer <token>` (generated at `init`, stored with the
  wallet), compared in constant time.
- `Host` must be the loopback address and port the proxy listens on (`127.0.0.1:<port>` or
  `localhost:<port>`): a DNS-rebinding page sends its own host name and is refused.
- A request with an `Origin` header is refused unless that origin is on the allow-list (empty by
  default; browsers always send `Origin` on cross-origin fetches, `null` included).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from prover.client.client_errors import ProxyAuthError, ProxyConfigError, ProxySecurityError

LOOPBACK_HOST = "127.0.0.1"


def check_bind_host(host: str) -> str:
    """The proxy listens on 127.0.0.1 only; anything else is `ProxyConfigError`."""
    if host != LOOPBACK_HOST:
        raise ProxyConfigError(
            f"the local proxy listens on {LOOPBACK_HOST} only, refusing {host!r} "
            "(it spends the wallet's credit: never expose it to a network)",
            field="host",
        )
    return host


@dataclass(frozen=True)
class ProxySecurity:
    """The checks every request passes before anything else runs."""

    token: str
    port: int
    allowed_origins: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if len(self.token) < 32:
            raise ProxyConfigError("the bearer token must be at least 32 characters", field="token")
        if not 0 < self.port < 65536:
            raise ProxyConfigError(f"port {self.port} is not a TCP port", field="port")

    @classmethod
    def build(cls, token: str, port: int, origins: Iterable[str] = ()) -> ProxySecurity:
        return cls(
            token=token, port=port, allowed_origins=frozenset(o.rstrip("/") for o in origins)
        )

    @property
    def allowed_hosts(self) -> frozenset[str]:
        return frozenset({f"{LOOPBACK_HOST}:{self.port}", f"localhost:{self.port}"})

    def check(self, headers: Mapping[str, str]) -> None:
        """Raise `ProxySecurityError` (status 401 or 403) naming what is wrong."""
        host = headers.get("host")
        if host is None or host.lower() not in self.allowed_hosts:
            raise ProxySecurityError(
                f"Host {host!r} is not this proxy's loopback address", field="host"
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
