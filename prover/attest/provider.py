"""The provider's side of attestation (`zkcredits gateway attest`): make the gateway's document.

Inside the gateway's TDX trust domain: compute the binding's `report_data`, obtain a quote over it
through configfs-tsm (or take one produced by another attestation agent), check the quote carries
exactly that `report_data`, obtain collateral (a file, or a PCCS/Intel PCS over the network),
verify the quote now (a quote that does not verify is never published), and return the document
the gateway serves, with the measurements to pin in the registration file.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from prover.attest import _dcap
from prover.attest.binding import Binding
from prover.attest.collateral import Collateral, parse_collateral
from prover.attest.errors import BindingMismatchError
from prover.attest.evidence import AttestationEvidence
from prover.attest.pins import PinnedImage
from prover.attest.quote import parse_tdx_quote
from prover.attest.tsm import TSM_REPORT_ROOT, ConfigFs, generate_quote
from prover.attest.verify import VerifiedQuote, verify_quote


class Attested(BaseModel):
    """The document to serve, what verification said, and the pin for the registration file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    document: AttestationEvidence
    verified: VerifiedQuote
    pin: PinnedImage


def attest_gateway(
    binding: Binding,
    *,
    image: str,
    collateral: Collateral | None = None,
    pccs_url: str | None = None,
    quote: bytes | None = None,
    tsm_root: Path = TSM_REPORT_ROOT,
    fs: ConfigFs | None = None,
    now: Callable[[], float] = time.time,
) -> Attested:
    """Quote, collateral, self-verification; `CheckFailed`/`TsmError`/`EvidenceFetchError` name
    what went wrong. Give `collateral` or `pccs_url` (network)."""
    report_data = binding.report_data()
    raw = quote if quote is not None else generate_quote(report_data, root=tsm_root, fs=fs)
    parsed = parse_tdx_quote(raw)
    if parsed.report_data != report_data:
        raise BindingMismatchError(
            "the quote does not carry this gateway's binding in report_data", field="report_data"
        )
    if collateral is None:
        if pccs_url is None:
            raise ValueError("attest_gateway needs collateral or a PCCS URL")
        collateral = parse_collateral(_dcap.fetch_collateral(pccs_url, raw))
    at = int(now())
    verified = verify_quote(raw, collateral, now=at)
    document = AttestationEvidence(
        quote=raw, collateral=collateral, binding=binding, image=image, generated_at=at
    )
    pin = PinnedImage(image=image, **parsed.measurements.model_dump())
    return Attested(document=document, verified=verified, pin=pin)
