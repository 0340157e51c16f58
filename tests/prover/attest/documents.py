"""Attestation documents made from the real quotes (for the route, client and validator tests)."""

from __future__ import annotations

from pathlib import Path

from prover.attest.appraise import Expectation
from prover.attest.binding import Binding
from prover.attest.evidence import AttestationEvidence
from prover.attest.gateway_key import GatewayKey
from prover.attest.pins import MeasurementPins, PinnedImage
from prover.attest.quote import parse_tdx_quote

from .servers import TLS_SPKI_SHA256
from .test_binding import _binding
from .vectors import vector

TLS_KEY = GatewayKey(kind="tls-spki-sha256", sha256=bytes.fromhex(TLS_SPKI_SHA256))


def binding_with_tls_key(**changes: object) -> Binding:
    return _binding(gateway_key=TLS_KEY).model_copy(update=changes)


def document(name: str = "tdx_quote", binding: Binding | None = None) -> AttestationEvidence:
    v = vector(name)
    return AttestationEvidence(
        quote=v.raw,
        collateral=v.collateral,
        binding=binding or binding_with_tls_key(),
        image=f"{name} image",
        generated_at=v.now,
    )


def write_document(path: Path, name: str = "tdx_quote", binding: Binding | None = None) -> bytes:
    body = document(name, binding).canonical()
    path.write_bytes(body)
    return body


def own_expectation(name: str = "tdx_quote", binding: Binding | None = None) -> Expectation:
    """Pins from the real quote itself, its own report_data as the expected binding bytes, and
    `binding` (default: the TLS test key) for the gateway-key and claimed-binding checks."""
    quote = parse_tdx_quote(vector(name).raw)
    image = PinnedImage(image=f"{name} image", **quote.measurements.model_dump())
    return Expectation(
        pins=MeasurementPins(images=(image,)),
        binding=binding or binding_with_tls_key(),
        report_data=quote.report_data,
    )
