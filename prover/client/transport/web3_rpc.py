"""A web3 `HTTPProvider` whose every JSON-RPC request goes through `PrivateTransport` (§13).

web3's own provider posts through a cached `requests` session (keep-alive, a `User-Agent`, no
SOCKS support without PySocks) and retries on failure. `PrivateHTTPProvider` swaps the session
manager for one that posts through the private transport: a fresh connection and SOCKS identity per
RPC, fixed headers, no retry (web3's retry loop is disabled), no direct fallback.
"""

from __future__ import annotations

from typing import Any

from web3 import HTTPProvider

from prover.client.transport.errors import TransportError
from prover.client.transport.private import PrivateTransport


class _TransportSessionManager:
    """Stands in for web3's `HTTPSessionManager`: the one method `HTTPProvider` calls."""

    def __init__(self, transport: PrivateTransport) -> None:
        self._transport = transport

    def make_post_request(self, endpoint_uri: str, data: bytes | str, **_kwargs: Any) -> bytes:
        body = data.encode() if isinstance(data, str) else data
        reply = self._transport.request(
            "POST",
            str(endpoint_uri),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            content=body,
        )
        if reply.status_code >= 400:
            raise TransportError(
                f"JSON-RPC endpoint {endpoint_uri} answered HTTP {reply.status_code}"
            )
        return reply.content

    def __getattr__(self, name: str) -> Any:
        raise TransportError(
            f"web3 asked the private transport for {name!r}, which it does not provide: "
            "only JSON-RPC POST goes through it"
        )


class PrivateHTTPProvider(HTTPProvider):
    """`HTTPProvider` over `PrivateTransport` (use `Web3(PrivateHTTPProvider(url))`)."""

    def __init__(self, endpoint_uri: str, transport: PrivateTransport | None = None) -> None:
        super().__init__(endpoint_uri, exception_retry_configuration=None)
        self.transport = transport if transport is not None else PrivateTransport()
        self._request_session_manager = _TransportSessionManager(self.transport)  # type: ignore[assignment]
