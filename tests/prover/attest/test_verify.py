"""Verification of real TDX quotes at a fixed time; each tampering refused with its own error."""

from __future__ import annotations

import json

import pytest

from prover.attest import _dcap
from prover.attest.collateral import parse_collateral
from prover.attest.errors import (
    CertificateChainError,
    CheckFailed,
    CollateralError,
    CollateralExpiredError,
    CollateralNotYetValidError,
    QeReportError,
    QuoteFormatError,
    QuoteSignatureError,
    TcbStatusError,
    TdAttributesError,
    TdxModuleError,
    VerificationError,
)
from prover.attest.verify import verify_quote

from .vectors import flipped, regions, vector


@pytest.mark.parametrize("name", ["tdx_quote", "tdx_quote_td15ex"])
def test_a_real_quote_verifies_at_a_time_inside_its_collateral_window(name: str) -> None:
    v = vector(name)
    verified = verify_quote(v.raw, v.collateral, now=v.now)
    assert verified.tcb_status == "UpToDate"
    assert verified.advisory_ids == ()
    assert verified.verified_at == v.now
    assert verified.expires_at == v.expires


def _refusal(name: str, at: int) -> CheckFailed:
    v = vector(name)
    with pytest.raises(CheckFailed) as info:
        verify_quote(flipped(v.raw, at), v.collateral, now=v.now)
    return info.value


@pytest.mark.parametrize("name", ["tdx_quote", "tdx_quote_td15ex"])
def test_a_flipped_byte_in_each_region_is_refused_by_the_check_that_covers_it(name: str) -> None:
    raw = vector(name).raw
    r = regions(raw)
    # Header: the layout bytes are refused by the framing; the others only the signature covers.
    assert isinstance(_refusal(name, 2), QuoteFormatError)  # attestation key type
    assert isinstance(_refusal(name, 12), QuoteFormatError)  # QE vendor id: not Intel's QE
    assert isinstance(_refusal(name, 30), QuoteSignatureError)  # user data
    # Report body (TCB SVN, MRTD, RTMR3, report_data): the attestation key's signature.
    for at in (r.body.start + 6, r.body.start + 140, r.body.start + 500, r.report_data.start):
        assert isinstance(_refusal(name, at), QuoteSignatureError), at
    # Signature data: the signature itself; the key (bound by the QE report); the QE report.
    assert isinstance(_refusal(name, r.signature.start + 5), QuoteSignatureError)
    assert isinstance(_refusal(name, r.attestation_key.start + 5), QeReportError)
    assert isinstance(_refusal(name, r.qe_report.start + 40), QeReportError)
    assert isinstance(_refusal(name, r.qe_report_signature.start + 5), QeReportError)
    # Certificate chain: the leaf and the intermediate no longer chain to Intel's root.
    pem = raw[r.pck_chain.start : r.pck_chain.stop]
    second = pem.index(b"-----BEGIN CERTIFICATE-----", 10)
    for at in (r.pck_chain.start + 200, r.pck_chain.start + second + 200):
        error = _refusal(name, at)
        assert isinstance(error, CertificateChainError), (at, error)
        assert error.field == "quote.certification.pck_chain"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["tdx_quote", "tdx_quote_td15ex"])
def test_every_single_bit_flip_anywhere_in_the_quote_is_refused(name: str) -> None:
    v = vector(name)
    collateral = v.collateral
    accepted = []
    for at in range(len(v.raw)):
        try:
            verify_quote(flipped(v.raw, at), collateral, now=v.now)
        except CheckFailed:
            continue
        accepted.append(at)
    assert accepted == []


def test_collateral_past_its_next_update_is_refused_as_expired() -> None:
    v = vector("tdx_quote")
    with pytest.raises(CollateralExpiredError) as info:
        verify_quote(v.raw, v.collateral, now=v.expires)  # the PCK CRL's nextUpdate
    assert info.value.field == "collateral.crl"
    with pytest.raises(CollateralExpiredError) as info:
        verify_quote(v.raw, v.collateral, now=v.expires + 3600)  # TCB info expired too
    assert info.value.field == "collateral.tcb_info"
    verify_quote(v.raw, v.collateral, now=v.expires - 1)  # the last second of the window passes


def test_collateral_issued_after_the_verification_time_is_refused_as_not_yet_valid() -> None:
    v = vector("tdx_quote")
    tcb_issue = 1750328163  # 2025-06-19T10:16:03Z, the TCB info's issueDate
    with pytest.raises(CollateralNotYetValidError) as info:
        verify_quote(v.raw, v.collateral, now=tcb_issue - 1)
    assert info.value.field == "collateral.tcb_info"


def test_tampered_collateral_is_refused_by_its_signature_check() -> None:
    v = vector("tdx_quote")
    data = v.collateral_json
    tcb = json.loads(str(data["tcb_info"]))
    tcb["tcbLevels"][-1]["tcbStatus"] = "UpToDate"  # the oldest level, OutOfDate in Intel's file
    data["tcb_info"] = json.dumps(tcb, separators=(",", ":"))
    with pytest.raises(CollateralError) as info:
        verify_quote(v.raw, parse_collateral(data), now=v.now)
    assert info.value.field == "collateral.tcb_info_signature"


def test_collateral_of_another_platform_is_refused() -> None:
    v = vector("tdx_quote")
    other = vector("tdx_quote_outdated")  # FMSPC 90C06F000000, not B0C06F000000
    with pytest.raises(CollateralError) as info:
        verify_quote(v.raw, other.collateral, now=other.now)
    assert "Fmspc mismatch" in str(info.value)
    assert info.value.field == "collateral.tcb_info"


def test_the_outdated_sample_is_refused_for_its_tcb_level() -> None:
    v = vector("tdx_quote_outdated")
    with pytest.raises(TcbStatusError) as info:
        verify_quote(v.raw, v.collateral, now=v.now)
    assert info.value.status == "NoMatchingTcbLevel"
    assert info.value.field == "tcb_status"


# Messages dcap-qvl 0.7.0 produces (src/verify.rs of its sdist) for checks real quotes here cannot
# reach: a debug TD, a foreign TDX module, a revoked TCB. The table must name each.
@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("Verification failed: Debug mode is enabled", TdAttributesError),
        ("Verification failed: SEPT_VE_DISABLE is not enabled", TdAttributesError),
        (
            "Verification failed: TDX module identity check\n\nCaused by:\n    TDX module "
            "MRSIGNER mismatch: expected 00, got 11",
            TdxModuleError,
        ),
        ("Verification failed: TCB status is invalid: Revoked", TcbStatusError),
        ("Verification failed: QE MRSIGNER mismatch: expected AA, got BB", QeReportError),
        (
            "Verification failed: Signature is invalid for qe_identity in quote_collateral",
            CollateralError,
        ),
        ("Verification failed: QE Identity expired", CollateralExpiredError),
        ("Verification failed: something new in a later release", VerificationError),
    ],
)
def test_each_dcap_qvl_failure_message_maps_to_its_named_error(
    message: str, kind: type[CheckFailed]
) -> None:
    error = _dcap.classify(ValueError(message))
    assert type(error) is kind
    if isinstance(error, TcbStatusError):
        assert error.status == "Revoked"
