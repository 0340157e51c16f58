"""Verify a TDX quote at a given time: canonical framing, then dcap-qvl's cryptographic checks.

`verify_quote` establishes that Intel-certified hardware running a genuine TDX module produced the
report, with collateral valid at `now`: the PCK chain to Intel's root (CRLs included), the QE
report and its binding of the attestation key, the signature over header and TD report, the TDX
module identity and the TD attributes (no debug TD). It applies NO policy: the TCB status, the
measurements and the binding are `appraise.appraise`'s business.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from prover.attest import _dcap
from prover.attest.collateral import Collateral
from prover.attest.errors import NotTdxError
from prover.attest.quote import TDX_TEE_TYPE, TdxQuote, parse_tdx_quote


class VerifiedQuote(BaseModel):
    """A quote that verified at `verified_at`, with what Intel's collateral says of its platform."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    quote: TdxQuote
    tcb_status: str
    advisory_ids: tuple[str, ...]
    verified_at: int
    expires_at: int
    """The collateral's earliest `nextUpdate`: from this second on the quote no longer verifies
    (a verifier needs fresher collateral)."""


def verify_quote(raw: bytes, collateral: Collateral, *, now: int) -> VerifiedQuote:
    """Parse and verify `raw` at Unix time `now`; a `CheckFailed` subclass names what failed."""
    quote = parse_tdx_quote(raw)
    claims = _dcap.verify(raw, collateral.to_dcap(), now)
    if claims.tee_type != TDX_TEE_TYPE:  # our framing already checked it; dcap-qvl must agree
        raise NotTdxError("dcap-qvl verified a non-TDX quote", field="quote.header.tee_type")
    return VerifiedQuote(
        quote=quote,
        tcb_status=claims.status,
        advisory_ids=claims.advisory_ids,
        verified_at=now,
        expires_at=claims.earliest_expiration,
    )
