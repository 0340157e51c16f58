"""All checks together on real quotes: the first failed check is the one named."""

from __future__ import annotations

import pytest

from prover.attest.appraise import Expectation, Verdict, appraise, verdict
from prover.attest.errors import (
    BindingMismatchError,
    CheckFailed,
    CollateralExpiredError,
    MeasurementNotPinnedError,
    NotTdxError,
    QuoteSignatureError,
    TcbStatusError,
)
from prover.attest.pins import MeasurementPins, PinnedImage
from prover.attest.policy import TcbPolicy
from prover.attest.quote import parse_tdx_quote

from .test_binding import _binding
from .vectors import flipped, regions, vector


def _expect_own(name: str, **changes: object) -> Expectation:
    """Pins and expected report_data taken from the real quote itself."""
    quote = parse_tdx_quote(vector(name).raw)
    image = PinnedImage(image=f"{name} image", **quote.measurements.model_dump())
    base = Expectation(pins=MeasurementPins(images=(image,)), report_data=quote.report_data)
    return base.model_copy(update=changes)


@pytest.mark.parametrize("name", ["tdx_quote", "tdx_quote_td15ex"])
def test_a_real_quote_with_its_own_report_data_as_the_binding_passes_every_check(
    name: str,
) -> None:
    v = vector(name)
    appraisal = appraise(v.raw, v.collateral, _expect_own(name), now=v.now)
    assert appraisal.image.image == f"{name} image"
    result = Verdict.of(appraisal)
    assert result.passed and result.failed_check is None
    assert result.tcb_status == "UpToDate"
    assert result.expires_at == v.expires


def test_a_real_quote_is_refused_when_it_does_not_bind_the_expected_provider() -> None:
    v = vector("tdx_quote")
    expectation = _expect_own("tdx_quote", report_data=None, binding=_binding())
    with pytest.raises(BindingMismatchError):
        appraise(v.raw, v.collateral, expectation, now=v.now)


def test_the_claimed_binding_is_compared_first_so_the_refusal_names_the_value() -> None:
    v = vector("tdx_quote")
    expectation = _expect_own("tdx_quote", report_data=None, binding=_binding())
    with pytest.raises(BindingMismatchError) as info:
        appraise(v.raw, v.collateral, expectation, now=v.now, claimed=_binding(chain_id=8453))
    assert info.value.field == "binding.chain_id"


def test_a_quote_of_an_unpinned_image_is_refused_before_its_binding() -> None:
    v = vector("tdx_quote")
    other = _expect_own("tdx_quote_td15ex")
    expectation = _expect_own("tdx_quote", pins=other.pins)
    with pytest.raises(MeasurementNotPinnedError) as info:
        appraise(v.raw, v.collateral, expectation, now=v.now)
    assert info.value.field == "measurements.mrtd"


def test_the_tcb_policy_runs_before_the_measurements() -> None:
    v = vector("tdx_quote")
    expectation = _expect_own(
        "tdx_quote",
        policy=TcbPolicy(accepted_statuses={"OutOfDate"}),
        pins=_expect_own("tdx_quote_td15ex").pins,
    )
    with pytest.raises(TcbStatusError):
        appraise(v.raw, v.collateral, expectation, now=v.now)


def test_the_outdated_sample_is_refused_under_the_default_policy() -> None:
    v = vector("tdx_quote_outdated")
    with pytest.raises(TcbStatusError) as info:
        appraise(v.raw, v.collateral, _expect_own("tdx_quote_outdated"), now=v.now)
    assert info.value.status == "NoMatchingTcbLevel"


@pytest.mark.parametrize(
    ("case", "check"),
    [
        ("signature", "quote_signature"),
        ("expired", "collateral_expired"),
        ("sgx", "tee_type"),
        ("binding", "binding"),
    ],
)
def test_a_verdict_names_the_failed_check_and_never_raises(case: str, check: str) -> None:
    v = vector("tdx_quote")
    raw, now, expectation = v.raw, v.now, _expect_own("tdx_quote")
    if case == "signature":
        raw = flipped(raw, regions(raw).report_data.start)
    elif case == "expired":
        now = v.expires + 86400
    elif case == "sgx":
        raw = vector("sgx_quote").raw
    else:
        expectation = expectation.model_copy(update={"report_data": bytes(64)})
    result = verdict(raw, v.collateral, expectation, now=now)
    assert not result.passed
    assert result.failed_check == check
    assert result.field
    assert result.message


def test_error_classes_carry_their_check_names() -> None:
    expected = {
        QuoteSignatureError: "quote_signature",
        CollateralExpiredError: "collateral_expired",
        NotTdxError: "tee_type",
        TcbStatusError: "tcb_status",
        MeasurementNotPinnedError: "measurements",
        BindingMismatchError: "binding",
    }
    for kind, name in expected.items():
        assert issubclass(kind, CheckFailed)
        assert kind.check == name
