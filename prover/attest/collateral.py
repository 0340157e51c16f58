"""Collateral: what Intel's PCS (or a PCCS) serves to verify a quote, in dcap-qvl's JSON shape.

Issuer chains are PEM text, CRLs and signatures hex, TCB info and QE identity the signed JSON text
exactly as Intel serves it (the signature covers those bytes). The gateway serves this object
beside its quote; a verifier that prefers Intel's word fetches it from the PCS itself
(`dcap_qvl.get_collateral`, network) and passes it in instead.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from prover.attest import _dcap
from prover.attest.errors import CollateralFormatError
from prover.attest.json_doc import first_error, load_object

MAX_COLLATERAL_BYTES: Final = 256 * 1024
_HEX = re.compile(r"^(?:[0-9a-fA-F]{2})+$")
_PEM = re.compile(r"^-----BEGIN CERTIFICATE-----\n")


def _pem(value: str) -> str:
    if not _PEM.match(value):
        raise ValueError("must be a PEM certificate chain")
    return value


def _hex(value: str) -> str:
    if not _HEX.fullmatch(value):
        raise ValueError("must be an even number of hex digits")
    return value


def _signed_json(value: str) -> str:
    try:
        parsed = json.loads(value)
    except ValueError as exc:
        raise ValueError("must be the signed JSON text Intel serves") from exc
    if not isinstance(parsed, dict) or not all(
        isinstance(parsed.get(k), str) for k in ("issueDate", "nextUpdate")
    ):
        raise ValueError("must be a JSON object with issueDate and nextUpdate")
    return value


class Collateral(BaseModel):
    """`QuoteCollateralV3` as dcap-qvl serialises it (field names are dcap-qvl's)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pck_crl_issuer_chain: str = Field(max_length=64 * 1024)
    root_ca_crl: str = Field(max_length=64 * 1024)
    pck_crl: str = Field(max_length=128 * 1024)
    tcb_info_issuer_chain: str = Field(max_length=64 * 1024)
    tcb_info: str = Field(max_length=64 * 1024)
    tcb_info_signature: str = Field(max_length=1024)
    qe_identity_issuer_chain: str = Field(max_length=64 * 1024)
    qe_identity: str = Field(max_length=64 * 1024)
    qe_identity_signature: str = Field(max_length=1024)
    pck_certificate_chain: str | None = Field(default=None, max_length=64 * 1024)

    _v_pem = field_validator(
        "pck_crl_issuer_chain", "tcb_info_issuer_chain", "qe_identity_issuer_chain"
    )(_pem)
    _v_hex = field_validator(
        "root_ca_crl", "pck_crl", "tcb_info_signature", "qe_identity_signature"
    )(_hex)
    _v_json = field_validator("tcb_info", "qe_identity")(_signed_json)

    @field_validator("pck_certificate_chain")
    @classmethod
    def _v_chain(cls, value: str | None) -> str | None:
        return None if value is None else _pem(value)

    def to_dcap(self) -> Any:
        """dcap-qvl's collateral object (opaque; only `_dcap.verify` reads it).

        `pck_certificate_chain` is left out: dcap-qvl would prefer it to the chain inside the
        quote, leaving the quote's own chain unchecked. We accept only quotes that carry their PCK
        chain (certification type 5), so the quote's chain is the one verified."""
        return _dcap.collateral_object(
            self.model_dump_json(exclude_none=True, exclude={"pck_certificate_chain"})
        )


def parse_collateral(data: object) -> Collateral:
    """A `Collateral` from JSON text/bytes or an already decoded object; a malformed one raises
    `CollateralFormatError` naming the first bad field."""
    if isinstance(data, bytes | str):
        data = load_object(
            data,
            limit=MAX_COLLATERAL_BYTES,
            name="collateral",
            error=CollateralFormatError,
            field="collateral",
        )
    if not isinstance(data, dict):
        raise CollateralFormatError("collateral is a JSON object", field="collateral")
    try:
        return Collateral.model_validate(data)
    except ValidationError as exc:
        where, error = first_error(exc, "collateral")
        raise CollateralFormatError(
            f"collateral.{where}: {error['msg']}", field=f"collateral.{where}"
        ) from None
