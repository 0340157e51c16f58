"""The keys of the ceremony end-to-end test (test_ceremony_keys_e2e.py): a phase 1 made for tests
(snarkjs, cached by hash in build/test-ptau) and a two-party phase 2 with a beacon per circuit
(cached in build/test-ceremony while the r1cs and the phase 1 are unchanged).

On a fresh clone this is 10-20 minutes of snarkjs on 2 cores (power 14; `prepare phase2` alone
takes 6-12 minutes), then nothing. So a session that will run the test starts this file as a
background process at low priority as soon as collection ends (tests/conftest.py), the rest of
the suite runs meanwhile, and the test waits for it, then finds every key cached. Run by hand:
`.venv/bin/python tests/prover/client/service/ceremony_keys.py`.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import NoReturn

from prover.circuits.artifacts import CircuitArtifacts
from prover.circuits.atomic import sha256_file
from prover.circuits.ceremony import CeremonyOutput, load_transcript, run_phase2
from prover.circuits.compiler import compile_circuit
from prover.circuits.ptau import ensure_ptau, power_for, ptau_path
from prover.circuits.r1cs import read_r1cs_header
from prover.toolchain.paths import BUILD_DIR

CIRCUITS = ("request", "withdraw", "slash")
TEST_PTAU_DIR = BUILD_DIR / "test-ptau"
TEST_CEREMONY_DIR = BUILD_DIR / "test-ceremony"
PHASE1_BEACON = "0e" * 32
BEACON = "e2" * 32


def ceremony(artifacts: CircuitArtifacts) -> CeremonyOutput:
    """The circuit's ceremony: phase 1 made for tests (cached by hash), phase 2 with two parties
    and a beacon (reused while the r1cs and the phase 1 are unchanged)."""
    power = power_for(read_r1cs_header(artifacts.r1cs))
    phase1 = ensure_ptau(power, ["e2e-phase1"], beacon=PHASE1_BEACON, ptau_dir=TEST_PTAU_DIR,
                         purpose="test")  # fmt: skip
    directory = TEST_CEREMONY_DIR / artifacts.name
    transcript = directory / "transcript.json"
    if transcript.is_file():
        t = load_transcript(transcript)
        if (
            t.r1cs_sha256 == sha256_file(artifacts.r1cs)
            and t.ptau.sha256 == sha256_file(ptau_path(phase1, TEST_PTAU_DIR))
            and t.final_zkey_sha256 == sha256_file(directory / "final.zkey")
        ):
            return CeremonyOutput(directory, t)
    return run_phase2(artifacts, phase1, ["e2e-alice", "e2e-bob"], beacon=BEACON,
                      ptau_dir=TEST_PTAU_DIR, out_dir=TEST_CEREMONY_DIR)  # fmt: skip


def _stop(signum: int, _frame: object) -> NoReturn:
    sys.exit(128 + signum)  # unwinds: the ptau and zkey work directories are removed


def main() -> None:
    """Every circuit's ceremony, largest first (the first one makes the shared phase 1)."""
    signal.signal(signal.SIGTERM, _stop)
    os.nice(10)  # in the background of a test session: the foreground tests come first
    for name in CIRCUITS:
        output = ceremony(compile_circuit(name).artifacts)
        print(f"{name}: {output.zkey}", flush=True)


if __name__ == "__main__":
    main()
