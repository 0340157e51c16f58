"""Fetch an attestation document, and the gateway key seen on the connection that carried it.

The transport is anything with `stream(method, url)` yielding an httpx response: the client's
`PrivateTransport` (SOCKS, fresh identity per request) fits as it is, `DirectTransport` is the
plain one for the validator and the CLI. The key seen is the TLS peer certificate's public key
(https) or the onion host dialled (`.onion`); plain http to anything else shows no key.
"""

from __future__ import annotations

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
