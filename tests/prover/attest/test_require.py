"""The client side: `require_tee` against a real HTTP(S) gateway route serving real quotes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.responses import Response

from prover.attest.errors import (
    BindingMismatchError,
    CollateralExpiredError,
    CollateralFormatError,
    EvidenceError,
    EvidenceFetchError,
    GatewayKeyError,
    MeasurementNotPinnedError,
    QuoteFormatError,
)
from prover.attest.evidence import ATTESTATION_PATH
from prover.attest.fetch import DirectTransport
from prover.attest.gateway_key import GatewayKey
from prover.attest.require import AttestationCache, require_tee
from prover.attest.route import attestation_router
from prover.client.transport.private import PrivateTransport

from .documents import (
    TLS_KEY,
    binding_with_tls_key,
    document,
    own_expectation,
    write_document,
)
from .servers import Server, client_tls_context
from .vectors import vector

NOW = vector("tdx_quote").now
TLS = DirectTransport(verify=client_tls_context())


def _app(path: Path | None) -> FastAPI:
    app = FastAPI()
    app.include_router(attestation_router(path))
    return app


@pytest.fixture
def document_path(tmp_path: Path) -> Path:
    path = tmp_path / "attestation.json"
    write_document(path)
    return path


@pytest.fixture
def https_gateway(document_path: Path) -> Iterator[str]:
    with Server(_app(document_path), tls=True) as url:
        yield url


def test_a_real_quote_over_https_bound_to_the_tls_key_passes(https_gateway: str) -> None:
    appraisal = require_tee(https_gateway, own_expectation(), transport=TLS, now=lambda: NOW)
    assert appraisal.image.image == "tdx_quote image"
    assert appraisal.verified.tcb_status == "UpToDate"


def test_a_tls_key_other_than_the_bound_one_is_refused(https_gateway: str) -> None:
    other = GatewayKey(kind="tls-spki-sha256", sha256=b"\x07" * 32)
    expectation = own_expectation(binding=binding_with_tls_key(gateway_key=other))
    with pytest.raises(GatewayKeyError) as info:
        require_tee(https_gateway, expectation, transport=TLS, now=lambda: NOW)
    assert info.value.field == "gateway_key"
    assert TLS_KEY.sha256.hex() in str(info.value)


def test_a_document_claiming_another_vault_is_refused_naming_the_vault(
    https_gateway: str, document_path: Path
) -> None:
    write_document(document_path, binding=binding_with_tls_key(vault="0x" + "ab" * 20))
    with pytest.raises(BindingMismatchError) as info:
        require_tee(https_gateway, own_expectation(), transport=TLS, now=lambda: NOW)
    assert info.value.field == "binding.vault"


def test_plain_http_shows_no_key_and_is_refused_unless_allowed(document_path: Path) -> None:
    with Server(_app(document_path)) as url:
        with pytest.raises(GatewayKeyError):
            require_tee(url, own_expectation(), now=lambda: NOW)
        appraisal = require_tee(url, own_expectation(), now=lambda: NOW, allow_unobserved_key=True)
    assert appraisal.image.image == "tdx_quote image"


def test_the_same_document_is_appraised_once_and_a_changed_quote_is_rechecked(
    https_gateway: str, document_path: Path
) -> None:
    cache = AttestationCache()
    first = require_tee(
        https_gateway, own_expectation(), transport=TLS, cache=cache, now=lambda: NOW
    )
    again = require_tee(
        https_gateway, own_expectation(), transport=TLS, cache=cache, now=lambda: NOW + 60
    )
    assert again is first  # served from the cache: same quote and collateral
    write_document(document_path, "tdx_quote_td15ex")  # the gateway's quote changed
    with pytest.raises(MeasurementNotPinnedError):
        require_tee(
            https_gateway,
            own_expectation(),
            transport=TLS,
            cache=cache,
            now=lambda: vector("tdx_quote_td15ex").now,
        )


def test_a_cached_appraisal_is_not_used_once_its_collateral_expired(https_gateway: str) -> None:
    cache = AttestationCache()
    require_tee(https_gateway, own_expectation(), transport=TLS, cache=cache, now=lambda: NOW)
    expired = vector("tdx_quote").expires
    with pytest.raises(CollateralExpiredError):
        require_tee(
            https_gateway, own_expectation(), transport=TLS, cache=cache, now=lambda: expired
        )


def test_a_gateway_without_attestation_is_refused_as_evidence() -> None:
    with Server(_app(None), tls=True) as url, pytest.raises(EvidenceError) as info:
        require_tee(url, own_expectation(), transport=TLS, now=lambda: NOW)
    assert info.value.check == "evidence"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"\x00\xff garbage", EvidenceError),
        (b'{"version": 1}', EvidenceError),
        (b"[]", EvidenceError),
        (
            b'{"version":1,"tee":"intel-tdx","quote":"AAAA","collateral":{},"binding":{},'
            b'"generated_at":0}',
            CollateralFormatError,
        ),
        (document().model_copy(update={"quote": b"\x04\x00"}).canonical(), QuoteFormatError),
        (document().canonical()[:-2], EvidenceError),
    ],
)
def test_a_malformed_document_is_a_named_error_not_a_crash(
    body: bytes, error: type[Exception]
) -> None:
    app = FastAPI()

    @app.get(ATTESTATION_PATH)
    def hostile() -> Response:
        return Response(body, media_type="application/json")

    with Server(app, tls=True) as url, pytest.raises(error):
        require_tee(url, own_expectation(), transport=TLS, now=lambda: NOW)


def test_an_unreachable_gateway_is_a_fetch_error() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(EvidenceFetchError) as info:
        require_tee(f"https://127.0.0.1:{port}", own_expectation(), transport=TLS)
    assert info.value.field == "url"


def test_the_clients_private_transport_fits_require_tee(document_path: Path) -> None:
    """The prover service's transport (no proxy configured here) works unchanged."""
    with Server(_app(document_path)) as url:
        appraisal = require_tee(
            url,
            own_expectation(),
            transport=PrivateTransport(),
            now=lambda: NOW,
            allow_unobserved_key=True,
        )
    assert appraisal.verified.quote.sha256 == hashlib.sha256(vector("tdx_quote").raw).hexdigest()
