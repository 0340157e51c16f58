"""A TDX quote: strict framing of the DCAP layout, then its measurements and `report_data`.

dcap-qvl checks every signed byte, but a few bytes of a quote are not signed by anyone: the
signature-data length, the certification-data types and sizes, the padding after the signature
data, and the root certificate at the end of the PCK chain (dcap-qvl trusts its own copy of Intel's
root). `parse_tdx_quote` refuses any quote in which those bytes are not exactly what the layout
says, so a quote is accepted only in its one canonical form (a flipped byte anywhere is refused).

Layout (Intel TDX DCAP Quote Generation Library, quote v4/v5; little-endian integers):

    header (48): version u16 | att_key_type u16 | tee_type u32 | qe_svn u16 | pce_svn u16 |
                 qe_vendor_id 16 | user_data 20
    v4 body: TD report 1.0 (584)
    v5 body: type u16 (2 = TD 1.0, 3 = TD 1.5, 4 = TD 1.5 ex) | size u32 | report (size)
    signature data: length u32 | ECDSA-P256 signature 64 | attestation key 64 |
                    certification type u16 (6 = QE report) | size u32 |
                    QE report 384 | QE report signature 64 | QE auth length u16 | QE auth data |
                    certification type u16 (5 = PCK chain, PEM) | size u32 | PEM chain
    padding: zero bytes only
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from typing import Final

from pydantic import BaseModel, ConfigDict

from prover.attest import _dcap
from prover.attest.errors import NotTdxError, QuoteFormatError
from prover.attest.pins import Measurements

MAX_QUOTE_BYTES: Final = 32 * 1024
"""configfs-tsm's largest `outblob` (TSM_REPORT_OUTBLOB_MAX); DCAP quotes are ~5 KB."""
HEADER_BYTES: Final = 48
TDX_TEE_TYPE: Final = 0x81
ECDSA_P256_KEY: Final = 2
QE_REPORT_CERT_TYPE: Final = 6
PCK_CHAIN_CERT_TYPE: Final = 5
REPORT_DATA_BYTES: Final = 64
INTEL_SGX_ROOT_CA_SHA256: Final = "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3"
"""sha256 of the DER of Intel's `Intel_SGX_Provisioning_Certification_RootCA.cer` (also the root
dcap-qvl pins as `src/TrustedRootCA.der`)."""

_TD_BODY_SIZES: Final = {2: 584, 3: 648, 4: 885}
# Offsets inside a TD report (the 1.0 part, common to every body type).
_TD = {
    "td_attributes": (120, 8),
    "mrtd": (136, 48),
    "rtmr0": (328, 48),
    "rtmr1": (376, 48),
    "rtmr2": (424, 48),
    "rtmr3": (472, 48),
    "report_data": (520, 64),
}
_PEM_CHAIN = re.compile(
    rb"(?:-----BEGIN CERTIFICATE-----\n(?:[A-Za-z0-9+/=]{1,76}\n)+-----END CERTIFICATE-----\n)+"
)
_PEM_BLOCK = re.compile(rb"-----BEGIN CERTIFICATE-----\n(.*?)-----END CERTIFICATE-----\n", re.S)


class TdxQuote(BaseModel):
    """A TDX quote whose framing is canonical (not yet verified: see `verify.verify_quote`)."""

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_bytes="hex")

    raw: bytes
    version: int
    body_type: int
    measurements: Measurements
    report_data: bytes
    td_attributes: bytes
    fmspc: str
    sha256: str
    """Hex sha256 of `raw`: the cache key of clients, the quote's name in logs."""


def _u16(raw: bytes, at: int, field: str) -> int:
    if at + 2 > len(raw):
        raise QuoteFormatError(f"the quote ends inside {field}", field=field)
    return int(struct.unpack_from("<H", raw, at)[0])


def _u32(raw: bytes, at: int, field: str) -> int:
    if at + 4 > len(raw):
        raise QuoteFormatError(f"the quote ends inside {field}", field=field)
    return int(struct.unpack_from("<I", raw, at)[0])


def _header(raw: bytes) -> tuple[int, int, int]:
    """`(version, body_type, body_offset)` after checking the header names an ECDSA TDX quote."""
    if len(raw) < HEADER_BYTES:
        raise QuoteFormatError(
            f"a quote has a {HEADER_BYTES}-byte header; got {len(raw)} bytes", field="quote"
        )
    version = _u16(raw, 0, "quote.header.version")
    tee_type = _u32(raw, 4, "quote.header.tee_type")
    if tee_type != TDX_TEE_TYPE:
        kind = "SGX" if tee_type == 0 else f"TEE type {tee_type:#x}"
        raise NotTdxError(f"the quote is {kind}, not Intel TDX", field="quote.header.tee_type")
    if _u16(raw, 2, "quote.header.attestation_key_type") != ECDSA_P256_KEY:
        raise QuoteFormatError(
            "the attestation key is not ECDSA-P256", field="quote.header.attestation_key_type"
        )
    if version == 4:
        return version, 2, HEADER_BYTES
    if version == 5:
        body_type = _u16(raw, HEADER_BYTES, "quote.body.type")
        expected = _TD_BODY_SIZES.get(body_type)
        if expected is None:
            raise QuoteFormatError(f"unknown TD report type {body_type}", field="quote.body.type")
        if _u32(raw, HEADER_BYTES + 2, "quote.body.size") != expected:
            raise QuoteFormatError(
                f"TD report type {body_type} has {expected} bytes", field="quote.body.size"
            )
        return version, body_type, HEADER_BYTES + 6
    raise QuoteFormatError(f"TDX quotes are v4 or v5, not v{version}", field="quote.header.version")


def _pem_chain_root(pem: bytes) -> str:
    """Check the PEM chain is only certificates; the sha256 of its last (root) certificate."""
    text = pem.rstrip(b"\x00")
    if not _PEM_CHAIN.fullmatch(text):
        raise QuoteFormatError(
            "the PCK chain is not a plain PEM certificate list",
            field="quote.certification.pck_chain",
        )
    blocks = _PEM_BLOCK.findall(text)
    if len(blocks) < 2:
        raise QuoteFormatError(
            "the PCK chain needs a leaf and Intel's root", field="quote.certification.pck_chain"
        )
    try:
        root = base64.b64decode(b"".join(blocks[-1].split(b"\n")), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise QuoteFormatError(
            "a PCK chain certificate is not base64", field="quote.certification.pck_chain"
        ) from exc
    return hashlib.sha256(root).hexdigest()


def _check_signature_data(raw: bytes, at: int) -> None:
    """Every unsigned length, type and padding byte after the report must be canonical."""
    sig_len = _u32(raw, at, "quote.signature_length")
    start, end = at + 4, at + 4 + sig_len
    if end > len(raw):
        raise QuoteFormatError(
            "the signature data runs past the quote", field="quote.signature_length"
        )
    if any(raw[end:]):
        raise QuoteFormatError("bytes after the signature data are not zero", field="quote.padding")
    cert = start + 128
    if _u16(raw, cert, "quote.certification.type") != QE_REPORT_CERT_TYPE:
        raise QuoteFormatError(
            "the certification data is not a QE report (type 6)", field="quote.certification.type"
        )
    if _u32(raw, cert + 2, "quote.certification.size") != end - (cert + 6):
        raise QuoteFormatError(
            "the certification size does not fill the signature data",
            field="quote.certification.size",
        )
    auth = cert + 6 + 384 + 64
    inner = auth + 2 + _u16(raw, auth, "quote.certification.qe_auth_data")
    if _u16(raw, inner, "quote.certification.pck_chain") != PCK_CHAIN_CERT_TYPE:
        raise QuoteFormatError(
            "the QE report is not certified by a PEM PCK chain (type 5)",
            field="quote.certification.pck_chain",
        )
    if _u32(raw, inner + 2, "quote.certification.pck_chain") != end - (inner + 6):
        raise QuoteFormatError(
            "the PCK chain size does not fill the certification data",
            field="quote.certification.pck_chain",
        )
    if _pem_chain_root(raw[inner + 6 : end]) != INTEL_SGX_ROOT_CA_SHA256:
        raise QuoteFormatError(
            "the PCK chain does not end with Intel's SGX root CA",
            field="quote.certification.pck_chain",
        )


def parse_tdx_quote(raw: bytes) -> TdxQuote:
    """Parse a TDX quote; `QuoteFormatError`/`NotTdxError` (named field) if it is not one in
    canonical form. Signatures are NOT checked here."""
    if not isinstance(raw, bytes):
        raise QuoteFormatError("a quote is bytes", field="quote")
    if len(raw) > MAX_QUOTE_BYTES:
        raise QuoteFormatError(f"a quote has at most {MAX_QUOTE_BYTES} bytes", field="quote")
    version, body_type, body = _header(raw)
    body_len = _TD_BODY_SIZES[body_type]
    _check_signature_data(raw, body + body_len)
    parsed = _dcap.parse_quote(raw)  # the reference decoder must agree that this is a quote

    def field(name: str) -> bytes:
        offset, size = _TD[name]
        return raw[body + offset : body + offset + size]

    try:
        fmspc = str(parsed.fmspc())
    except (ValueError, TypeError) as exc:
        raise QuoteFormatError(
            f"no FMSPC in the PCK certificate: {exc}", field="quote.certification.pck_chain"
        ) from exc
    return TdxQuote(
        raw=raw,
        version=version,
        body_type=body_type,
        measurements=Measurements(
            mrtd=field("mrtd"),
            rtmr0=field("rtmr0"),
            rtmr1=field("rtmr1"),
            rtmr2=field("rtmr2"),
            rtmr3=field("rtmr3"),
        ),
        report_data=field("report_data"),
        td_attributes=field("td_attributes"),
        fmspc=fmspc,
        sha256=hashlib.sha256(raw).hexdigest(),
    )
