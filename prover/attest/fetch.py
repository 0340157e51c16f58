"""Fetch an attestation document, and the gateway key seen on the connection that carried it.

The transport is anything with `stream(method, url)` yielding an httpx response: the client's
`PrivateTransport` (SOCKS, fresh identity per request) fits as it is, `DirectTransport` is the
plain one for the validator and the CLI. The key seen is the TLS peer certificate's public key
(https) or the onion host dialled (`.onion`); plain http to anything else shows no key.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
import socket
import ssl
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Protocol

import httpx

from prover.attest.errors import AttestError, EvidenceError, EvidenceFetchError
from prover.attest.evidence import MAX_EVIDENCE_BYTES
from prover.attest.gateway_key import GatewayKey
from prover.errors import ZkCreditsError


class StreamingTransport(Protocol):
    def stream(self, method: str, url: str) -> AbstractContextManager[httpx.Response]: ...


class DirectTransport:
    """One fresh httpx connection per request: no proxy from the environment, no redirects."""

    def __init__(self, *, timeout: float = 20.0, verify: ssl.SSLContext | bool = True) -> None:
        self.timeout = timeout
        self.verify = verify

    @contextmanager
    def stream(self, method: str, url: str) -> Iterator[httpx.Response]:
        with (
            httpx.Client(
                timeout=self.timeout, trust_env=False, follow_redirects=False, verify=self.verify
            ) as client,
            client.stream(method, url) as response,
        ):
            yield response


@dataclass(frozen=True)
class Fetched:
    body: bytes
    observed_key: GatewayKey | None
    """The key the connection showed (None over plain http to a non-onion host)."""


def observed_key(response: httpx.Response) -> GatewayKey | None:
    """The gateway key seen on the connection of `response` (read before it closes)."""
    host = response.request.url.host
    if host.endswith(".onion"):
        return GatewayKey.from_onion(host)
    if response.request.url.scheme != "https":
        return None
    stream = response.extensions.get("network_stream")
    ssl_object = None if stream is None else stream.get_extra_info("ssl_object")
    der = None if ssl_object is None else ssl_object.getpeercert(True)
    if not der:
        raise EvidenceFetchError(
            "the https connection showed no peer certificate", field="gateway_key"
        )
    return GatewayKey.from_certificate_der(der)


def fetch_document(url: str, transport: StreamingTransport) -> Fetched:
    """GET `url`; `EvidenceError` for a gateway that publishes no attestation (404) or an
    oversized body, `EvidenceFetchError` for network trouble or another HTTP status."""
    try:
        with transport.stream("GET", url) as response:
            key = observed_key(response)
            if response.status_code == 404:
                raise EvidenceError("the gateway publishes no attestation (404)", field="evidence")
            if response.status_code != 200:
                raise EvidenceFetchError(
                    f"the attestation document answered HTTP {response.status_code}", field="url"
                )
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_EVIDENCE_BYTES:
                    raise EvidenceError(
                        f"the attestation document exceeds {MAX_EVIDENCE_BYTES} bytes",
                        field="evidence",
                    )
            return Fetched(bytes(body), key)
    except AttestError:
        raise
    except (httpx.HTTPError, httpx.InvalidURL, OSError, ZkCreditsError) as exc:
        raise EvidenceFetchError(f"cannot fetch {url}: {exc}", field="url") from exc


_DATA_URI = re.compile(r"^data:application/json(?:;charset=utf-8)?;base64,", re.IGNORECASE)


def _check_public_host(url: str) -> None:
    """Refuse a URL whose host resolves to a loopback, private or link-local address: a validator
    fetches URLs anyone writes on chain, and must not be a probe into its own network."""
    host = httpx.URL(url).host
    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError) as exc:
        raise EvidenceFetchError(f"cannot resolve {host}: {exc}", field="url") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise EvidenceFetchError(
                f"{host} resolves to the non-public address {address}", field="url"
            )


def fetch_uri(
    uri: str,
    transport: StreamingTransport | None = None,
    *,
    max_bytes: int = MAX_EVIDENCE_BYTES,
    allow_private_hosts: bool = False,
) -> bytes:
    """The bytes behind a `data:application/json;base64,` or http(s) URI (redirects not followed).

    `EvidenceError` for a malformed or oversized data URI, `EvidenceFetchError` for an
    unsupported scheme, a non-public host (unless allowed) or network trouble."""
    if _DATA_URI.match(uri):
        payload = uri[uri.index(",") + 1 :]
        if len(payload) > (max_bytes * 4) // 3 + 4:
            raise EvidenceError(f"the data URI exceeds {max_bytes} bytes", field="uri")
        try:
            return base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise EvidenceError(f"the data URI is not base64: {exc}", field="uri") from exc
    if not uri.lower().startswith(("http://", "https://")):
        raise EvidenceFetchError(
            f"unsupported URI scheme in {uri[:40]!r} (data: or http(s) only)", field="url"
        )
    try:
        if not allow_private_hosts:
            _check_public_host(uri)
    except httpx.InvalidURL as exc:
        raise EvidenceFetchError(f"not a URL: {uri[:80]!r}", field="url") from exc
    return fetch_document(uri, transport or DirectTransport()).body
