"""The keys of the ceremony end-to-end test (test_ceremony_keys_e2e.py): a phase 1 made for tests
(snarkjs, power 14) and a two-party phase 2 with a beacon per circuit.

Made from nothing they cost 20-50 minutes of snarkjs on 2 cores (`prepare phase2` of the phase 1,
then `zkey new` and `zkey verify` of request and withdraw, each minutes), so:
- they are cached per machine, outside any clone, like pip's cache (`ZKCREDITS_TEST_CACHE`, else
  `$XDG_CACHE_HOME/zkcredits`, else `~/.cache/zkcredits`): the phase 1 by hash (`test-ptau/`,
  purpose "test": the ceremony never reuses it), each phase 2 under its r1cs's sha256
  (`test-ceremony/<r1cs sha256 prefix>/<circuit>/`), every file checked against its recorded
  sha256 before use; a fresh clone on a machine that ran the test before reuses them;
- a session that will run the test starts this file in the background at low priority as soon as
  collection ends (tests/conftest.py), the test runs last and waits for it.
Run by hand: `.venv/bin/python tests/prover/client/service/ceremony_keys.py`.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from pathlib import Path
from typing import NoReturn

from prover.circuits.artifacts import CircuitArtifacts
from prover.circuits.ceremony import CeremonyOutput, load_transcript, run_phase2
from prover.circuits.compiler import compile_circuit
from prover.circuits.ptau import ensure_ptau, power_for, ptau_path
from prover.circuits.r1cs import read_r1cs_header
from prover.plumbing.digest import sha256_file


def cache_root() -> Path:
    """Where this machine keeps the test ceremony (see the module's docstring)."""
    explicit = os.environ.get("ZKCREDITS_TEST_CACHE")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "zkcredits"


CIRCUITS = ("request", "withdraw", "slash")
TEST_PTAU_DIR = cache_root() / "test-ptau"
TEST_CEREMONY_DIR = cache_root() / "test-ceremony"
PHASE1_BEACON = "0e" * 32
BEACON = "e2" * 32
PR_SET_PDEATHSIG = 1


def ceremony(artifacts: CircuitArtifacts) -> CeremonyOutput:
    """The circuit's ceremony: phase 1 made for tests (cached by hash), phase 2 with two parties
    and a beacon (reused while the r1cs, the phase 1 and the final zkey match its transcript)."""
    power = power_for(read_r1cs_header(artifacts.r1cs))
    phase1 = ensure_ptau(power, ["e2e-phase1"], beacon=PHASE1_BEACON, ptau_dir=TEST_PTAU_DIR,
                         purpose="test")  # fmt: skip
    out_dir = TEST_CEREMONY_DIR / sha256_file(artifacts.r1cs)[:16]
    directory = out_dir / artifacts.name
    transcript, final = directory / "transcript.json", directory / "final.zkey"
    if transcript.is_file() and final.is_file():
        t = load_transcript(transcript)
        if (
            t.r1cs_sha256 == sha256_file(artifacts.r1cs)
            and t.ptau.sha256 == sha256_file(ptau_path(phase1, TEST_PTAU_DIR))
            and t.final_zkey_sha256 == sha256_file(final)
        ):
            return CeremonyOutput(directory, t)
    return run_phase2(artifacts, phase1, ["e2e-alice", "e2e-bob"], beacon=BEACON,
                      ptau_dir=TEST_PTAU_DIR, out_dir=out_dir)  # fmt: skip


def _stop(signum: int, _frame: object) -> NoReturn:
    sys.exit(128 + signum)  # unwinds: the ptau and zkey work directories are removed


def _end_with_parent() -> None:
    """Started by a test session (ZKC_PARENT_PID): SIGTERM when that process dies (Linux
    PR_SET_PDEATHSIG), so a killed pytest never leaves this running."""
    parent = os.environ.get("ZKC_PARENT_PID")
    if parent is None:
        return
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != int(parent):  # it died before the request took effect
        sys.exit(1)


def main() -> None:
    """Every circuit's ceremony, largest first (the first one makes the shared phase 1)."""
    signal.signal(signal.SIGTERM, _stop)
    _end_with_parent()
    os.nice(10)  # in the background of a test session: the foreground tests come first
    for name in CIRCUITS:
        output = ceremony(compile_circuit(name).artifacts)
        print(f"{name}: {output.zkey}", flush=True)


if __name__ == "__main__":
    main()
