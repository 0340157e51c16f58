"""The one place that calls dcap-qvl (PyPI `dcap-qvl==0.7.0`, untyped): typed results, named errors.

dcap-qvl raises `ValueError` with an `anyhow` message chain ("Verification failed: ... Caused by:
..."). `classify` maps that text to the `CheckFailed` subclass naming the check; the table is
pinned by tests that tamper real quotes and collateral (tests/prover/attest/test_verify.py).
An unknown message becomes `VerificationError`, never an uncaught exception.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, cast

import dcap_qvl
from pydantic import BaseModel, ConfigDict, ValidationError

from prover.attest.errors import (
    CertificateChainError,
    CheckFailed,
    CollateralError,
    CollateralExpiredError,
    CollateralFormatError,
    CollateralNotYetValidError,
    EvidenceFetchError,
    QeReportError,
    QuoteFormatError,
    QuoteSignatureError,
    TcbStatusError,
    TdAttributesError,
    TdxModuleError,
    VerificationError,
)

_QE_IDENTITY = "collateral.qe_identity"

# (substring of dcap-qvl's message, error class, field), first match wins: time problems before
# the chain errors that wrap them ("Failed to verify certificate chain ... CrlExpired").
_TABLE: tuple[tuple[str, type[CheckFailed], str], ...] = (
    ("TCBInfo expired", CollateralExpiredError, "collateral.tcb_info"),
    ("QE Identity expired", CollateralExpiredError, "collateral.qe_identity"),
    ("CrlExpired", CollateralExpiredError, "collateral.crl"),
    ("CertExpired", CollateralExpiredError, "quote.certification.pck_chain"),
    ("TCBInfo issue date is in the future", CollateralNotYetValidError, "collateral.tcb_info"),
    ("QE Identity issue date is in the future", CollateralNotYetValidError, _QE_IDENTITY),
    ("CertNotValidYet", CollateralNotYetValidError, "quote.certification.pck_chain"),
    ("CrlNotValidYet", CollateralNotYetValidError, "collateral.crl"),
    ("TCB status is invalid: Revoked", TcbStatusError, "tcb_status"),
    ("No matching TCB level found", TcbStatusError, "tcb_status"),
    ("TDX module", TdxModuleError, "quote.report.mr_signer_seam"),
    ("Debug mode is enabled", TdAttributesError, "quote.report.td_attributes"),
    ("TD profiling is enabled", TdAttributesError, "quote.report.td_attributes"),
    ("Reserved bits in TD attributes", TdAttributesError, "quote.report.td_attributes"),
    ("TD migration is enabled", TdAttributesError, "quote.report.td_attributes"),
    ("SERVTD_EXT is enabled", TdAttributesError, "quote.report.td_attributes"),
    ("SEPT_VE_DISABLE is not enabled", TdAttributesError, "quote.report.td_attributes"),
    ("Invalid MR service TD", TdAttributesError, "quote.report.mr_service_td"),
    ("ISV enclave report signature is invalid", QuoteSignatureError, "quote.signature"),
    ("Signature is invalid for qe_report", QeReportError, "quote.certification.qe_report"),
    ("QE report hash mismatch", QeReportError, "quote.certification.qe_report"),
    ("QE report", QeReportError, "quote.certification.qe_report"),
    ("QE MRSIGNER", QeReportError, "quote.certification.qe_report"),
    ("QE ISVPRODID", QeReportError, "quote.certification.qe_report"),
    ("QE MISCSELECT", QeReportError, "quote.certification.qe_report"),
    ("QE ATTRIBUTES", QeReportError, "quote.certification.qe_report"),
    ("QE ISVSVN", QeReportError, "quote.certification.qe_report"),
    ("QE Identity id/version", QeReportError, "quote.certification.qe_report"),
    ("Signature is invalid for tcb_info", CollateralError, "collateral.tcb_info_signature"),
    ("Signature is invalid for qe_identity", CollateralError, "collateral.qe_identity_signature"),
    ("too short for TCB Info", CollateralError, "collateral.tcb_info_issuer_chain"),
    ("too short for QE Identity", CollateralError, "collateral.qe_identity_issuer_chain"),
    ("TCB Info leaf certificate", CollateralError, "collateral.tcb_info_issuer_chain"),
    ("QE Identity leaf certificate", CollateralError, "collateral.qe_identity_issuer_chain"),
    ("Failed to decode TcbInfo", CollateralError, "collateral.tcb_info"),
    ("Failed to decode QeIdentity", CollateralError, "collateral.qe_identity"),
    ("TCB Info", CollateralError, "collateral.tcb_info"),
    ("QE Identity", CollateralError, "collateral.qe_identity"),
    ("Fmspc mismatch", CollateralError, "collateral.tcb_info"),
    ("TCB info in the collateral", CollateralError, "collateral.tcb_info"),
    ("CRL", CollateralError, "collateral.crl"),
    ("Failed to verify certificate chain", CertificateChainError, "quote.certification.pck_chain"),
    ("PCK cert", CertificateChainError, "quote.certification.pck_chain"),
    ("Certificate chain is too short in quote", QuoteFormatError, "quote.certification"),
    ("Unknown QE vendor ID", QuoteFormatError, "quote.header.qe_vendor_id"),
    ("attestation key type", QuoteFormatError, "quote.header.attestation_key_type"),
    ("quote version", QuoteFormatError, "quote.header.version"),
    ("must have version", QuoteFormatError, "quote.header.version"),
    ("TEE type", QuoteFormatError, "quote.header.tee_type"),
    ("cert type", QuoteFormatError, "quote.certification"),
    ("decode quote", QuoteFormatError, "quote"),
    ("parse quote", QuoteFormatError, "quote"),
)


def classify(exc: Exception) -> CheckFailed:
    """The named error for a dcap-qvl failure (its whole message chain is kept in the text)."""
    message = " ".join(str(exc).split())
    for needle, kind, field in _TABLE:
        if needle in message:
            if kind is TcbStatusError:
                status = "Revoked" if "Revoked" in message else "NoMatchingTcbLevel"
                return TcbStatusError(f"TCB status {status}: {message}", field=field, status=status)
            return kind(message, field=field)
    return VerificationError(message, field="quote")


class Claims(BaseModel):
    """What dcap-qvl established about a quote that verified at a given time."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tee_type: int
    status: str
    advisory_ids: tuple[str, ...]
    earliest_expiration: int
    """Earliest `nextUpdate`/notAfter of every collateral part and certificate (Unix seconds)."""
    latest_issue: int


def collateral_object(collateral_json: str) -> Any:
    """dcap-qvl's `QuoteCollateralV3` from its JSON text (`CollateralFormatError` otherwise)."""
    try:
        return dcap_qvl.QuoteCollateralV3.from_json(collateral_json)
    except (ValueError, TypeError, OverflowError) as exc:
        raise CollateralFormatError(
            f"dcap-qvl cannot read the collateral: {exc}", field="collateral"
        ) from exc


def parse_quote(raw: bytes) -> Any:
    """dcap-qvl's parsed `Quote` (`QuoteFormatError` for bytes it cannot decode)."""
    try:
        return dcap_qvl.parse_quote(raw)
    except (ValueError, TypeError, OverflowError) as exc:
        raise classify(exc) from exc


def _detailed(raw: bytes, collateral: Any, now: int, exc: Exception) -> Exception:
    """The same failure with its cause chain: `verify_with_policy` reports only the outer context
    ("Failed to verify certificate chain"), the one-shot `verify` also the cause ("CrlExpired")."""
    try:
        dcap_qvl.verify(raw, collateral, now)
    except (ValueError, TypeError, OverflowError) as detailed:
        return detailed
    return exc


class _RawClaims(BaseModel):
    model_config = ConfigDict(extra="ignore")

    tee_type: int
    tcb: dict[str, Any]
    earliest_expiration_date: int
    latest_issue_date: int


def verify(raw: bytes, collateral: Any, now: int) -> Claims:
    """Verify the quote's signatures, chain and collateral at `now` against Intel's root (the
    root dcap-qvl pins), with no policy of dcap-qvl's own: the TCB policy is ours."""
    try:
        verifier = dcap_qvl.QuoteVerifier()
        policy = dcap_qvl.QuotePolicy.claims_only(now)
        result = verifier.verify_with_policy(raw, collateral, now, policy)
        data = json.loads(cast(str, result.to_json()))
    except (ValueError, TypeError, OverflowError) as exc:
        raise classify(_detailed(raw, collateral, now, exc)) from exc
    try:
        parsed = _RawClaims.model_validate(data)
        return Claims(
            tee_type=parsed.tee_type,
            status=str(parsed.tcb["status"]),
            advisory_ids=tuple(str(a) for a in parsed.tcb.get("advisory_ids", ())),
            earliest_expiration=parsed.earliest_expiration_date,
            latest_issue=parsed.latest_issue_date,
        )
    except (ValidationError, KeyError, TypeError) as exc:
        raise VerificationError(
            f"dcap-qvl returned claims this package cannot read: {exc}", field="quote"
        ) from exc


def fetch_collateral(pccs_url: str, raw: bytes) -> str:
    """Collateral for `raw` from a PCCS or Intel's PCS (`https://api.trustedservices.intel.com`),
    as dcap-qvl's JSON text. Needs the network: never exercised by this repository's tests."""
    try:
        collateral = asyncio.run(dcap_qvl.get_collateral(pccs_url, raw))
        return cast(str, collateral.to_json())
    except (ValueError, RuntimeError, OSError) as exc:
        raise EvidenceFetchError(
            f"fetching collateral from {pccs_url} failed: {exc}", field="pccs_url"
        ) from exc
