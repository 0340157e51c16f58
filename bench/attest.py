"""TDX quote verification, ours vs dcap-qvl's one-shot `verify`: `.venv/bin/python bench/attest.py`.

    .venv/bin/python bench/attest.py [--budget 1.0]

Ours: `verify_quote` (canonical framing, then dcap-qvl's `QuoteVerifier.verify_with_policy` with
`claims_only`) and the whole `appraise` (plus TCB policy, pins, binding) and a client's parse of a
served document followed by `appraise`. Reference: `dcap_qvl.verify(quote, collateral, now)`, the
library's own one-shot API, on the same real quotes and collateral (tests/vectors/tdx) at the same
fixed times; both sides must agree the quote is UpToDate before anything is written. Sides run in
alternating rounds (bench/reference/timing.py). Writes bench/results/attest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dcap_qvl
from reference.timing import Timed, comparison_row, interleave, measure, print_comparison

from prover.attest.appraise import Expectation, appraise
from prover.attest.binding import Binding
from prover.attest.collateral import Collateral, parse_collateral
from prover.attest.evidence import AttestationEvidence, parse_evidence
from prover.attest.gateway_key import GatewayKey
from prover.attest.pins import MeasurementPins, PinnedImage
from prover.attest.quote import parse_tdx_quote
from prover.attest.verify import verify_quote

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT / "tests" / "vectors" / "tdx"
RESULTS = ROOT / "bench" / "results" / "attest.json"
REFERENCE = "dcap_qvl.verify 0.7.0 (one-shot, no framing or policy)"
SAMPLES = {"tdx_quote": 1751328000, "tdx_quote_td15ex": 1792454400}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=1.0, help="seconds per side and measure")
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    for name, now in SAMPLES.items():
        sample = _sample_rows(name, now, args.budget)
        if sample is None:
            return 1
        rows += sample
    print_comparison(rows, "TDX quote verification (ratio = reference / ours; > 1: ours faster)")
    machine = {"cpus": os.cpu_count(), "python": platform.python_version()}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"machine": machine, "comparison": rows}, indent=2) + "\n")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")
    return 0


def _sample_rows(name: str, now: int, budget: float) -> list[dict[str, Any]] | None:
    raw = (VECTORS / name).read_bytes()
    text = (VECTORS / f"{name}_collateral.json").read_text()
    collateral = parse_collateral(text)
    reference_collateral = dcap_qvl.QuoteCollateralV3.from_json(text)
    quote = parse_tdx_quote(raw)
    image = PinnedImage(image=name, **quote.measurements.model_dump())
    expectation = Expectation(pins=MeasurementPins(images=(image,)), report_data=quote.report_data)
    ours_status = verify_quote(raw, collateral, now=now).tcb_status
    reference_status = dcap_qvl.verify(raw, reference_collateral, now).status
    if ours_status != reference_status or ours_status != "UpToDate":
        print(f"{name}: ours {ours_status}, reference {reference_status}", file=sys.stderr)
        return None
    body = _document(raw, collateral, now)
    calls: dict[str, Callable[[], object]] = {
        "verify_quote": lambda: verify_quote(raw, collateral, now=now),
        "appraise": lambda: appraise(raw, collateral, expectation, now=now),
        "document + appraise": lambda: _client(body, expectation, now),
        "reference": lambda: dcap_qvl.verify(raw, reference_collateral, now),
    }

    def side(call: Callable[[], object]) -> Callable[[int], Timed]:
        return lambda _round: measure(lambda _: call(), [0], budget / 5, batches=1)

    timed = dict(zip(calls, interleave([side(c) for c in calls.values()]), strict=True))
    return [
        comparison_row(
            f"{label} ({name}, {len(raw)} B)",
            "ms/quote",
            timed[label]["ms"],
            timed["reference"]["ms"],
            REFERENCE,
        )
        for label in ("verify_quote", "appraise", "document + appraise")
    ]


def _document(raw: bytes, collateral: Collateral, now: int) -> bytes:
    binding = Binding(
        chain_id=31337,
        vault="0x" + "11" * 20,
        server_pk=(1, 2),
        gateway_key=GatewayKey(kind="onion-v3", sha256=bytes(32)),
    )
    return AttestationEvidence(
        quote=raw, collateral=collateral, binding=binding, generated_at=now
    ).canonical()


def _client(body: bytes, expectation: Expectation, now: int) -> object:
    document = parse_evidence(body)
    return appraise(document.quote, document.collateral, expectation, now=now)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
