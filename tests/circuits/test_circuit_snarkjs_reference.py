"""snarkjs as an independent reference for the R1CS verdicts the soundness suite relies on:
`snarkjs wtns check` accepts the honest witnesses and rejects the tampered ones our check
rejects (the witness files are written by this test, not by circom)."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

from prover.circuits.proof import P
from prover.circuits.witness import Witness, WitnessCalculator
from prover.toolchain.paths import REPO_ROOT, node_bin

from .conftest import HonestRequest


def _write_wtns(path: Path, witness: Witness) -> None:
    """circom/snarkjs `.wtns` v2: header section (n8, prime, count), then the values (LE)."""
    header = (
        struct.pack("<I", 32) + P.to_bytes(32, "little") + struct.pack("<I", len(witness.values))
    )
    values = b"".join(v.to_bytes(32, "little") for v in witness.values)
    path.write_bytes(
        b"wtns"
        + struct.pack("<II", 2, 2)
        + struct.pack("<IQ", 1, len(header))
        + header
        + struct.pack("<IQ", 2, len(values))
        + values
    )


def _snarkjs_accepts(calc: WitnessCalculator, witness: Witness, tmp: Path) -> bool:
    path = tmp / "w.wtns"
    _write_wtns(path, witness)
    proc = subprocess.run(
        [str(node_bin("snarkjs")), "wtns", "check", str(calc.circuit.r1cs), str(path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    output = proc.stdout + proc.stderr
    ok = proc.returncode == 0 and "WITNESS IS CORRECT" in output
    assert ok or "WITNESS IS NOT CORRECT" in output or proc.returncode != 0, output
    return ok


def test_snarkjs_agrees_on_an_honest_and_a_hint_tampered_request_witness(
    request_circuit: WitnessCalculator, honest_request: HonestRequest, tmp_path: Path
) -> None:
    witness = honest_request.witness
    assert _snarkjs_accepts(request_circuit, witness, tmp_path)
    inv = next(n for n in request_circuit.symbols.wires if n.endswith(".inv") and "NonZero" in n)
    tampered = witness.with_value(request_circuit.symbols.wire(inv), 12345)
    assert not request_circuit.satisfies(tampered)
    assert not _snarkjs_accepts(request_circuit, tampered, tmp_path)


def test_snarkjs_agrees_on_slash_witnesses(
    slash_circuit: WitnessCalculator, tmp_path: Path
) -> None:
    witness = slash_circuit.compute_checked({"k": 77, "service_id": 5})
    assert _snarkjs_accepts(slash_circuit, witness, tmp_path)
    tampered = witness.with_value(2, 6)  # service_id
    assert not slash_circuit.satisfies(tampered)
    assert not _snarkjs_accepts(slash_circuit, tampered, tmp_path)
