"""The client's network transport (PROTOCOL §13): every outgoing HTTP request goes through here.

Gateway calls and chain JSON-RPC (`prover.client.transport.web3_rpc`) alike:

- optional SOCKS5 proxy (`ZKCREDITS_SOCKS_PROXY=socks5h://127.0.0.1:9050`) with remote DNS: the
  target host name is sent to the proxy in the CONNECT request (httpcore's SOCKS code never resolves
  it locally; a test checks the proxy receives the name, not an address);
- a fresh random SOCKS username and password per call, so Tor puts each call on its own circuit;
- no connection reuse: a new client, transport and connection per request, `Connection: close`,
  no keep-alive pool;
- no fallback: with a proxy configured, the connection layer refuses any TCP connection that is
  not to the proxy (`DirectConnectionRefused`), and a proxy failure raises `TransportError` naming
  the proxy;
- one retry rule: when the proxy answers the SOCKS CONNECT with a failure (Tor: the exit could not
  reach the target, or the circuit broke while it was being built), no byte of the request has
  left this machine, so it is tried again on a fresh SOCKS identity (a new circuit), at most
  `socks_connect_attempts` times in all. Nothing else is retried: a failure after the request was
  sent may have been served (and charged), and a dead proxy is not a circuit problem;
- fixed headers (`prover.client.transport.headers`); no cookies kept, no redirects followed,
  no proxy or
  credentials taken from the environment (`trust_env=False`: no `HTTP(S)_PROXY`, no `.netrc`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import socksio

from prover.client.transport.config import ProxyAddress, TransportSettings, is_valid_host
from prover.client.transport.errors import DirectConnectionRefused, TransportError
from prover.client.transport.headers import sanitize_request
from prover.client.transport.socks import (
    NO_KEEPALIVE,
    AsyncSocksTransport,
    SocksTransport,
)
from prover.client.transport.socks_auth import fresh_socks_credentials
from prover.client.transport.tls import shared_ssl_context

Credentials = Callable[[], tuple[str, str]]
HeaderInput = Mapping[str, str] | Sequence[tuple[str, str]] | None
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.ProxyError, httpx.InvalidURL)
"""Failures before the first byte of the request was written: no connection (refused, timed
out, no route), or the SOCKS proxy refused the CONNECT to the target."""


def _origin(url: str) -> str:
    """`scheme://host:port` of a URL for error messages (paths may name nullifiers)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return repr(url)
    port = f":{parsed.port}" if parsed.port is not None else ""
    return f"{parsed.scheme}://{parsed.host}{port}"


def _check_target_url(method: str, url: str) -> None:
    """Refuse, before any connection, a URL that is not http(s) to a well-formed host."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise TransportError(
            f"{method} {url!r}: not a valid URL ({exc}); nothing sent", sent=False
        ) from exc
    if parsed.scheme not in ("http", "https"):
        raise TransportError(
            f"{method} {url!r}: the scheme must be http or https; nothing sent", sent=False
        )
    if not parsed.host or not is_valid_host(parsed.host):
        raise TransportError(
            f"{method} {url!r}: {parsed.host!r} is not an IP address or host name; nothing sent",
            sent=False,
        )


def _build(
    client: httpx.Client | httpx.AsyncClient,
    method: str,
    url: str,
    headers: HeaderInput,
    content: bytes | None,
    json: Any,
) -> httpx.Request:
    """The request with the fixed header set of §13 (`prover.client.transport.headers`)."""
    request = client.build_request(method, url, headers=headers, content=content, json=json)
    sanitize_request(request)
    return request


class _Route:
    """What the sync and async transports share: settings, proxy, credentials, error naming."""

    def __init__(self, settings: TransportSettings | None, credentials: Credentials) -> None:
        self.settings = settings if settings is not None else TransportSettings()
        self.proxy: ProxyAddress | None = self.settings.proxy
        self._credentials = credentials

    def _fresh_credentials(self) -> tuple[str, str]:
        return self._credentials()

    def _attempts(self) -> range:
        """How many times a request may be opened: only a refused SOCKS CONNECT is retried."""
        return range(self.settings.socks_connect_attempts if self.proxy is not None else 1)

    def _may_retry_connect(self, attempt: int) -> bool:
        """After a refused SOCKS CONNECT (nothing sent): may attempt `attempt + 1` be made?"""
        return attempt + 1 < len(self._attempts())

    def _client_options(self) -> dict[str, Any]:
        return {
            "trust_env": False,
            "follow_redirects": False,
            "timeout": httpx.Timeout(
                self.settings.request_timeout_s, connect=self.settings.connect_timeout_s
            ),
        }

    @contextmanager
    def _mapped_errors(self, method: str, url: str) -> Iterator[None]:
        try:
            yield
        except DirectConnectionRefused:
            raise
        except (
            httpx.TransportError,
            httpx.InvalidURL,
            httpx.StreamError,
            socksio.SOCKSError,
        ) as exc:
            target = _origin(url)
            if self.proxy is not None:
                tries = self.settings.socks_connect_attempts
                route = (
                    f"through the SOCKS proxy {self.proxy.label} (CONNECT tried on {tries} "
                    "fresh circuits at most, never sent directly)"
                )
            else:
                route = "directly (no proxy configured)"
            raise TransportError(
                f"{method} {target} failed {route}: {type(exc).__name__}: {exc}",
                sent=not isinstance(exc, _NOT_SENT),
            ) from exc


class PrivateTransport(_Route):
    """Synchronous transport: one fresh connection (and SOCKS identity) per request."""

    def __init__(
        self,
        settings: TransportSettings | None = None,
        *,
        credentials: Credentials = fresh_socks_credentials,
    ) -> None:
        super().__init__(settings, credentials)

    def _client(self) -> httpx.Client:
        if self.proxy is None:
            transport = httpx.HTTPTransport(
                verify=shared_ssl_context(), trust_env=False, limits=NO_KEEPALIVE, retries=0
            )
        else:
            transport = SocksTransport(self.proxy, *self._fresh_credentials())
        return httpx.Client(transport=transport, **self._client_options())

    @contextmanager
    def stream(
        self,
        method: str,
        url: str,
        *,
        headers: HeaderInput = None,
        content: bytes | None = None,
        json: Any = None,
    ) -> Iterator[httpx.Response]:
        """Send one request; yield the response with its body unread (for server-sent events)."""
        _check_target_url(method, url)
        with self._mapped_errors(method, url):
            for attempt in self._attempts():
                with self._client() as client:
                    request = _build(client, method, url, headers, content, json)
                    try:
                        response = client.send(request, stream=True)
                    except httpx.ProxyError:
                        if self._may_retry_connect(attempt):
                            continue
                        raise
                    try:
                        yield response
                    finally:
                        response.close()
                    return

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: HeaderInput = None,
        content: bytes | None = None,
        json: Any = None,
    ) -> httpx.Response:
        """Send one request, read the whole body; an HTTP error status is returned, not raised."""
        with self.stream(method, url, headers=headers, content=content, json=json) as response:
            response.read()
            return response


class AsyncPrivateTransport(_Route):
    """Asynchronous twin of `PrivateTransport` (for the local proxy service)."""

    def __init__(
        self,
        settings: TransportSettings | None = None,
        *,
        credentials: Credentials = fresh_socks_credentials,
    ) -> None:
        super().__init__(settings, credentials)

    def _client(self) -> httpx.AsyncClient:
        if self.proxy is None:
            transport: httpx.AsyncBaseTransport = httpx.AsyncHTTPTransport(
                verify=shared_ssl_context(), trust_env=False, limits=NO_KEEPALIVE, retries=0
            )
        else:
            transport = AsyncSocksTransport(self.proxy, *self._fresh_credentials())
        return httpx.AsyncClient(transport=transport, **self._client_options())

    @asynccontextmanager
    async def stream(
        self,
        method: str,
        url: str,
        *,
        headers: HeaderInput = None,
        content: bytes | None = None,
        json: Any = None,
    ) -> AsyncIterator[httpx.Response]:
        """Send one request; yield the response with its body unread."""
        _check_target_url(method, url)
        with self._mapped_errors(method, url):
            for attempt in self._attempts():
                async with self._client() as client:
                    request = _build(client, method, url, headers, content, json)
                    try:
                        response = await client.send(request, stream=True)
                    except httpx.ProxyError:
                        if self._may_retry_connect(attempt):
                            continue
                        raise
                    try:
                        yield response
                    finally:
                        await response.aclose()
                    return

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: HeaderInput = None,
        content: bytes | None = None,
        json: Any = None,
    ) -> httpx.Response:
        """Send one request and read the whole body."""
        async with self.stream(method, url, headers=headers, content=content, json=json) as reply:
            await reply.aread()
            return reply
