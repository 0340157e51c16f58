"""Errors raised on purpose by `prover.attest`; all derive from `AttestError`.

Every refusal of a quote is a `CheckFailed` whose class names the failed check (`check`, a
`Check`) and whose `field` names the part of the evidence at fault (`"quote.signature"`,
`"measurements.rtmr1"`, `"binding.vault"`, ...). Callers show `check` to users and log `field`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from prover.errors import ZkCreditsError


class Check(StrEnum):
    """The checks a quote goes through, in order (docs/tee.md, "Checks")."""

    REGISTRATION = "registration"
    EVIDENCE = "evidence"
    QUOTE_FORMAT = "quote_format"
    TEE_TYPE = "tee_type"
    COLLATERAL_FORMAT = "collateral_format"
    COLLATERAL_NOT_YET_VALID = "collateral_not_yet_valid"
    COLLATERAL_EXPIRED = "collateral_expired"
    COLLATERAL = "collateral"
    PCK_CHAIN = "pck_chain"
    QE_REPORT = "qe_report"
    QUOTE_SIGNATURE = "quote_signature"
    TDX_MODULE = "tdx_module"
    TD_ATTRIBUTES = "td_attributes"
    VERIFICATION = "verification"
    TCB_STATUS = "tcb_status"
    MEASUREMENTS = "measurements"
    BINDING = "binding"
    GATEWAY_KEY = "gateway_key"


class AttestError(ZkCreditsError):
    """Root of every `prover.attest` error; `field` always names the input at fault."""

    field: str

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message, field=field)


class AttestConfigError(AttestError):
    """A setting, pin file or command-line value is invalid (`field` names it)."""


class CheckFailed(AttestError):
    """A quote, its collateral or its binding failed one check (`check` names it)."""

    check: ClassVar[Check] = Check.VERIFICATION


class RegistrationPinsError(CheckFailed):
    """The provider's registration file declares no usable TEE pins or binding values."""

    check = Check.REGISTRATION


class EvidenceError(CheckFailed):
    """The attestation document is malformed, too large, or not what was committed to."""

    check = Check.EVIDENCE


class EvidenceFetchError(AttestError):
    """The attestation document could not be fetched (network, HTTP status): may be transient."""


class QuoteFormatError(CheckFailed):
    """The quote's bytes do not parse as a DCAP quote of a supported layout."""

    check = Check.QUOTE_FORMAT


class NotTdxError(CheckFailed):
    """The quote is a valid DCAP quote but not from an Intel TDX trust domain."""

    check = Check.TEE_TYPE


class CollateralFormatError(CheckFailed):
    """The collateral is not the JSON object dcap-qvl reads (named field missing or malformed)."""

    check = Check.COLLATERAL_FORMAT


class CollateralNotYetValidError(CheckFailed):
    """Part of the collateral is issued after the verification time."""

    check = Check.COLLATERAL_NOT_YET_VALID


class CollateralExpiredError(CheckFailed):
    """Part of the collateral (TCB info, QE identity, a CRL) is past its `nextUpdate`."""

    check = Check.COLLATERAL_EXPIRED


class CollateralError(CheckFailed):
    """The collateral does not verify (signature, issuer chain) or does not fit the quote."""

    check = Check.COLLATERAL


class CertificateChainError(CheckFailed):
    """The quote's PCK certificate chain does not lead to Intel's root, or is revoked."""

    check = Check.PCK_CHAIN


class QeReportError(CheckFailed):
    """The Quoting Enclave's report is not signed by the PCK key, does not bind the attestation
    key, or does not match Intel's QE identity."""

    check = Check.QE_REPORT


class QuoteSignatureError(CheckFailed):
    """The attestation key's signature over the quote header and TD report does not verify."""

    check = Check.QUOTE_SIGNATURE


class TdxModuleError(CheckFailed):
    """The TDX module (SEAM) in the report is not one Intel's TCB info describes."""

    check = Check.TDX_MODULE


class TdAttributesError(CheckFailed):
    """The trust domain runs in a mode that voids its confidentiality (debug, migration, ...)."""

    check = Check.TD_ATTRIBUTES


class VerificationError(CheckFailed):
    """dcap-qvl refused the quote for a reason this package does not classify further."""

    check = Check.VERIFICATION


class TcbStatusError(CheckFailed):
    """The platform's TCB status is not accepted by the policy (`status` holds it)."""

    check = Check.TCB_STATUS

    def __init__(self, message: str, *, field: str, status: str) -> None:
        super().__init__(message, field=field)
        self.status = status


class MeasurementNotPinnedError(CheckFailed):
    """The trust domain's measurements (MRTD, RTMR0-3) are not those of any pinned image."""

    check = Check.MEASUREMENTS


class BindingMismatchError(CheckFailed):
    """`report_data` does not bind the expected server key, vault, chain and gateway key."""

    check = Check.BINDING


class GatewayKeyError(CheckFailed):
    """The gateway's TLS key (or onion address) seen on the connection is not the bound one."""

    check = Check.GATEWAY_KEY


class TsmError(AttestError):
    """Quote generation through configfs-tsm failed (interface missing, provider, conflict)."""


class ValidatorError(AttestError):
    """The validator cannot run (registry unreachable, state file unreadable, ...)."""
