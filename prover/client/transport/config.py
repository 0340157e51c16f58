"""Settings of the client's network transport (PROTOCOL §13), read from `ZKCREDITS_*` variables.

`ZKCREDITS_SOCKS_PROXY=socks5h://127.0.0.1:9050` sends every request through that SOCKS5 proxy
(Tor's SocksPort, or a mixnet's SOCKS entry). Only the `socks5h` scheme is accepted: it names the
semantics the transport enforces (the proxy resolves host names; this machine never does). A
`socks5://` URL is refused rather than silently reinterpreted, and so is a URL carrying
credentials: the transport draws a fresh random username and password for every call.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from prover.client.transport.errors import ProxyConfigError, TransportConfigError

_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")


def is_valid_host(host: str) -> bool:
    """An IP literal or a DNS host name (letters, digits, hyphens; dot-separated labels)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return bool(_HOSTNAME.match(host))
    return True


class ProxyAddress(BaseModel):
    """Where the SOCKS5 proxy listens (no credentials: those are fresh per call)."""

    model_config = ConfigDict(frozen=True)

    host: str
    port: int = Field(ge=1, le=65535)

    @property
    def label(self) -> str:
        """How errors name the proxy."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"socks5h://{host}:{self.port}"


def parse_proxy_url(url: str) -> ProxyAddress:
    """Parse `socks5h://HOST:PORT`; raise `ProxyConfigError` naming what is wrong."""
    where = f"ZKCREDITS_SOCKS_PROXY={url!r}"
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise ProxyConfigError(f"{where} is not a valid URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme == "socks5":
        raise ProxyConfigError(
            f"{where}: use socks5h:// (socks5:// means resolving host names locally, which "
            "would leak every destination to the local resolver)"
        )
    if scheme != "socks5h":
        raise ProxyConfigError(f"{where}: the scheme must be socks5h, got {parts.scheme!r}")
    if parts.username is not None or parts.password is not None:
        raise ProxyConfigError(
            f"{where}: do not put credentials in the proxy URL; a fresh random SOCKS username "
            "and password are generated for every call (circuit isolation)"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ProxyConfigError(f"{where}: a proxy URL has no path, query or fragment")
    host = parts.hostname or ""
    if not host:
        raise ProxyConfigError(f"{where}: the proxy host is missing")
    if port is None:
        raise ProxyConfigError(f"{where}: the proxy port is missing (Tor's default is 9050)")
    if port == 0:
        raise ProxyConfigError(f"{where}: the proxy port must be 1–65535, got 0")
    if not is_valid_host(host):
        raise ProxyConfigError(f"{where}: {host!r} is not an IP address or host name")
    return ProxyAddress(host=host, port=port)


class TransportSettings(BaseSettings):
    """Network settings of the client. Environment: `ZKCREDITS_SOCKS_PROXY`, etc."""

    model_config = SettingsConfigDict(
        env_prefix="ZKCREDITS_", extra="ignore", frozen=True, use_attribute_docstrings=True
    )

    socks_proxy: str | None = None
    """`socks5h://host:port`, or unset/empty for direct connections."""
    request_timeout_s: float = Field(default=120.0, gt=0)
    """Read/write timeout of one request (a long completion; Tor circuits can be slow)."""
    connect_timeout_s: float = Field(default=10.0, gt=0)
    """How long opening the TCP connection may take (to the SOCKS proxy when one is set): an
    unreachable gateway or chain RPC fails in seconds, not after `request_timeout_s`."""
    socks_connect_attempts: int = Field(default=3, ge=1, le=10)
    """How many fresh circuits a request may try when the proxy refuses its SOCKS CONNECT
    (nothing was sent yet); 1 disables the retry. `prover.client.transport.private`."""
    send_delay_min_s: float = Field(default=0.0, ge=0)
    """Lower bound of the random delay before each call (PROTOCOL §13)."""
    send_delay_max_s: float = Field(default=2.0, ge=0)
    """Bounds of the uniform random delay before each call (`prover.client.transport.delay`)."""

    @field_validator("socks_proxy")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value if value and value.strip() else None

    @model_validator(mode="after")
    def _check(self) -> TransportSettings:
        if self.socks_proxy is not None:
            parse_proxy_url(self.socks_proxy)  # ProxyConfigError propagates as itself
        if self.send_delay_max_s < self.send_delay_min_s:
            raise TransportConfigError(
                f"send_delay_max_s={self.send_delay_max_s} is below "
                f"send_delay_min_s={self.send_delay_min_s}"
            )
        return self

    @property
    def proxy(self) -> ProxyAddress | None:
        return None if self.socks_proxy is None else parse_proxy_url(self.socks_proxy)
