"""httpx transports whose only possible connection is to the configured SOCKS5 proxy.

`SocksTransport` is httpx's `HTTPTransport` with its connection pool replaced by httpcore's
`SOCKSProxy` built for one request: fresh SOCKS credentials, no keep-alive, and a network backend
(`ProxyOnlyBackend`) that refuses to open any TCP connection but to the proxy. Replacing `_pool`
relies on httpx 0.28.1's internals (pinned); the transport tests exercise it against a real SOCKS
server.
"""

from __future__ import annotations

from typing import Any

import httpcore
import httpx

from prover.client.transport.config import ProxyAddress
from prover.client.transport.errors import DirectConnectionRefused
from prover.client.transport.tls import shared_ssl_context

NO_KEEPALIVE = httpx.Limits(max_connections=1, max_keepalive_connections=0, keepalive_expiry=0.0)


def _check_target(proxy: ProxyAddress, host: str, port: int) -> None:
    if host.strip("[]").lower() != proxy.host.lower() or port != proxy.port:
        raise DirectConnectionRefused(
            f"refused a direct connection to {host}:{port}: a SOCKS proxy ({proxy.label}) is "
            "configured, so every connection must go to it"
        )


class ProxyOnlyBackend(httpcore.SyncBackend):
    """A network backend that can open a TCP connection to the proxy and nowhere else."""

    def __init__(self, proxy: ProxyAddress) -> None:
        self._proxy = proxy

    def connect_tcp(
        self, host: str, port: int, *args: Any, **kwargs: Any
    ) -> httpcore.NetworkStream:
        _check_target(self._proxy, host, port)
        return super().connect_tcp(host, port, *args, **kwargs)

    def connect_unix_socket(self, path: str, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise DirectConnectionRefused(f"refused a Unix-socket connection to {path}")


class AsyncProxyOnlyBackend(httpcore.AnyIOBackend):
    """Async twin of `ProxyOnlyBackend`."""

    def __init__(self, proxy: ProxyAddress) -> None:
        self._proxy = proxy

    async def connect_tcp(
        self, host: str, port: int, *args: Any, **kwargs: Any
    ) -> httpcore.AsyncNetworkStream:
        _check_target(self._proxy, host, port)
        return await super().connect_tcp(host, port, *args, **kwargs)

    async def connect_unix_socket(
        self, path: str, *args: Any, **kwargs: Any
    ) -> httpcore.AsyncNetworkStream:
        raise DirectConnectionRefused(f"refused a Unix-socket connection to {path}")


def _proxy_url(proxy: ProxyAddress) -> httpcore.URL:
    return httpcore.URL(scheme=b"socks5h", host=proxy.host.encode(), port=proxy.port, target=b"/")


class SocksTransport(httpx.HTTPTransport):
    """httpx's transport with its pool replaced by a one-shot SOCKS5 pool (fresh credentials)."""

    def __init__(self, proxy: ProxyAddress, username: str, password: str) -> None:
        super().__init__(
            verify=shared_ssl_context(), trust_env=False, limits=NO_KEEPALIVE, retries=0
        )
        self._pool = httpcore.SOCKSProxy(
            proxy_url=_proxy_url(proxy),
            proxy_auth=(username, password),
            ssl_context=shared_ssl_context(),
            max_connections=1,
            max_keepalive_connections=0,
            keepalive_expiry=0.0,
            network_backend=ProxyOnlyBackend(proxy),
        )


class AsyncSocksTransport(httpx.AsyncHTTPTransport):
    """Async twin of `SocksTransport`."""

    def __init__(self, proxy: ProxyAddress, username: str, password: str) -> None:
        super().__init__(
            verify=shared_ssl_context(), trust_env=False, limits=NO_KEEPALIVE, retries=0
        )
        self._pool = httpcore.AsyncSOCKSProxy(
            proxy_url=_proxy_url(proxy),
            proxy_auth=(username, password),
            ssl_context=shared_ssl_context(),
            max_connections=1,
            max_keepalive_connections=0,
            keepalive_expiry=0.0,
            network_backend=AsyncProxyOnlyBackend(proxy),
        )
