"""The provider side (`attest_gateway`): quote over the binding, self-check, document."""

from __future__ import annotations

from pathlib import Path

import pytest

from prover.attest.errors import BindingMismatchError, CollateralExpiredError, QuoteSignatureError
from prover.attest.provider import attest_gateway
from prover.attest.quote import parse_tdx_quote

from .documents import binding_with_tls_key
from .test_tsm import MimicConfigFs
from .vectors import vector

V = vector("tdx_quote")


def test_a_quote_from_the_mimicked_interface_carries_the_binding_but_is_never_published(
    tmp_path: Path,
) -> None:
    """The mimic cannot sign (docs: untested on hardware): the self-check refuses its quote."""
    with pytest.raises(QuoteSignatureError):
        attest_gateway(
            binding_with_tls_key(),
            image="img",
            collateral=V.collateral,
            tsm_root=tmp_path,
            fs=MimicConfigFs(),
            now=lambda: V.now,
        )


def test_a_quote_that_does_not_carry_the_binding_is_refused() -> None:
    with pytest.raises(BindingMismatchError):
        attest_gateway(
            binding_with_tls_key(),
            image="img",
            collateral=V.collateral,
            quote=V.raw,
            now=lambda: V.now,
        )


def test_a_real_quote_whose_report_data_is_the_binding_gives_a_document_and_a_pin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the binding's report_data forced to the real quote's own, the whole provider path
    runs on real data: verification, the document, and the pin for the registration file."""
    own = parse_tdx_quote(V.raw).report_data
    binding = binding_with_tls_key()
    monkeypatch.setattr(type(binding), "report_data", lambda _self: own)
    attested = attest_gateway(
        binding, image="img@sha256:00", collateral=V.collateral, quote=V.raw, now=lambda: V.now
    )
    assert attested.document.quote == V.raw and attested.document.binding == binding
    assert attested.document.generated_at == V.now
    assert attested.verified.tcb_status == "UpToDate"
    assert attested.pin.mrtd == parse_tdx_quote(V.raw).measurements.mrtd
    assert attested.pin.image == "img@sha256:00"
    with pytest.raises(CollateralExpiredError):  # stale collateral is never published
        attest_gateway(
            binding, image="i", collateral=V.collateral, quote=V.raw, now=lambda: V.expires
        )
