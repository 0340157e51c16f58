"""A ceremony whose parties are on different machines: they take turns by passing a directory.

A *turn directory* holds the current file (`current.ptau` in phase 1, `current.zkey` in phase 2)
and `turn.json` (`TurnState`: every step so far, with snarkjs's hashes and the sha256 of each
file). The coordinator `start`s it; each party runs `contribute` on the directory it received and
passes on the directory it wrote; anyone may `verify` a directory; the coordinator `finish`es it
with the public beacon. Every command that reads a directory first verifies it cryptographically
(`powersoftau verify` / `zkey verify` of the whole chain) and checks that the contributions the
file lists are exactly those of `turn.json`, so a party never builds on a file it was not meant
to get. A finished phase 1 is recorded as made by the ceremony (`ptau.py`); a finished phase 2 is
a ceremony directory like `run_phase2`'s (final.zkey, verification_key.json, transcript.json),
ready for `zkcredits circuits build --from-ceremony` or `ceremony finish --install`.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from prover.circuits.artifacts import CEREMONY_DIR, PTAU_DIR, CircuitArtifacts
from prover.circuits.ceremony import (
    CeremonyOutput,
    contribute_zkey,
    finish_phase2,
    new_zkey,
    verify_chain,
)
from prover.circuits.errors import CeremonyError
from prover.circuits.ptau import (
    Progress,
    check_listed,
    contribute_ptau,
    prepare_phase2,
    ptau_beacon,
    ptau_path,
    store_ptau,
    verify_ptau,
)
from prover.circuits.snarkjs import run
from prover.circuits.transcript import CeremonyStep, PtauRecord
from prover.plumbing.atomic import atomic_write_text
from prover.plumbing.digest import sha256_file

TURN_STATE: Final = "turn.json"
Phase = Literal["phase1", "phase2"]


class TurnState(BaseModel):
    """`turn.json`: where an unfinished ceremony stands."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    phase: Phase
    power: int
    circuit: str | None = None
    r1cs_sha256: str | None = None
    circuit_hash: str | None = None
    ptau: PtauRecord | None = None
    """Phase 2: the phase 1 it builds on (made by the ceremony or imported)."""
    steps: list[CeremonyStep]

    @property
    def file_name(self) -> str:
        return "current.ptau" if self.phase == "phase1" else "current.zkey"

    @property
    def contributors(self) -> list[str]:
        return [s.name or "" for s in self.steps if "contribution" in s.kind]


def _write(directory: Path, state: TurnState, file: Path) -> TurnState:
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        raise CeremonyError(f"{directory} is not empty: give a new --out", field="out")
    shutil.copyfile(file, directory / state.file_name)
    atomic_write_text(directory / TURN_STATE, state.model_dump_json(indent=2) + "\n")
    return state


def start_phase1(power: int, out_dir: Path, progress: Progress = lambda _: None) -> TurnState:
    """`powersoftau new` at `power`: the first turn directory of a phase 1."""
    out_dir.mkdir(parents=True, exist_ok=True)
    scratch = out_dir.parent / f".{out_dir.name}.new.ptau"
    try:
        progress(f"ptau: new (power {power})")
        run(["powersoftau", "new", "bn128", str(power), scratch])
        step = CeremonyStep(kind="ptau-new", file_sha256=sha256_file(scratch))
        return _write(out_dir, TurnState(phase="phase1", power=power, steps=[step]), scratch)
    finally:
        scratch.unlink(missing_ok=True)


def start_phase2(
    circuit: CircuitArtifacts,
    ptau: PtauRecord,
    out_dir: Path,
    ptau_dir: Path = PTAU_DIR,
    progress: Progress = lambda _: None,
) -> TurnState:
    """`zkey new` of `circuit` over a ceremony phase 1: the first turn directory of a phase 2."""
    if ptau.purpose != "ceremony":
        raise CeremonyError(
            f"phase 1 {ptau.file} was made for {ptau.purpose or 'an unknown purpose'}, not this "
            "ceremony: import a verified one with --ptau FILE",
            field="ptau",
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    scratch = out_dir.parent / f".{out_dir.name}.new.zkey"
    try:
        circuit_hash, step = new_zkey(circuit, ptau_path(ptau, ptau_dir), scratch, progress)
        state = TurnState(
            phase="phase2",
            power=ptau.power,
            circuit=circuit.name,
            r1cs_sha256=sha256_file(circuit.r1cs),
            circuit_hash=circuit_hash,
            ptau=ptau,
            steps=[step],
        )
        return _write(out_dir, state, scratch)
    finally:
        scratch.unlink(missing_ok=True)


def load_turn(directory: Path) -> TurnState:
    try:
        return TurnState.model_validate_json((directory / TURN_STATE).read_text())
    except (OSError, ValidationError) as exc:
        raise CeremonyError(f"{directory} is not a turn directory: {exc}", field="turn") from exc


def verify_turn(
    directory: Path,
    circuit: CircuitArtifacts | None = None,
    ptau_dir: Path = PTAU_DIR,
    progress: Progress = lambda _: None,
) -> TurnState:
    """Check a turn directory from its files: the file is the last step's, and snarkjs verifies
    the whole chain and lists exactly the recorded contributions. Phase 2 needs the circuit."""
    state = load_turn(directory)
    file = directory / state.file_name
    if not file.is_file() or sha256_file(file) != state.steps[-1].file_sha256:
        raise CeremonyError(f"{file} is not the file of the last step", field="file_sha256")
    progress(f"verifying {directory.name} ({len(state.contributors)} contributions so far)")
    if state.phase == "phase1":
        if not state.contributors:
            _check_fresh_ptau(file, state.power)
            return state
        _power, listed = verify_ptau(file)
        check_listed(state.steps, listed)
        return state
    if circuit is None or state.ptau is None or state.circuit_hash is None:
        raise CeremonyError("a phase-2 turn needs its circuit and phase 1", field="circuit")
    if circuit.name != state.circuit or sha256_file(circuit.r1cs) != state.r1cs_sha256:
        raise CeremonyError(f"{directory} is for another circuit or r1cs", field="r1cs_sha256")
    ptau_file = ptau_path(state.ptau, ptau_dir)
    if not ptau_file.is_file() or sha256_file(ptau_file) != state.ptau.sha256:
        raise CeremonyError(f"the phase 1 {state.ptau.file} is not in {ptau_dir}", field="ptau")
    verify_chain(circuit.r1cs, ptau_file, file, state.steps, state.circuit_hash)
    return state


def _check_fresh_ptau(file: Path, power: int) -> None:
    """A phase 1 with no contribution yet must be exactly `powersoftau new` (it is deterministic:
    snarkjs cannot verify a file without contributions, so it is rebuilt and compared)."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "new.ptau"
        run(["powersoftau", "new", "bn128", str(power), fresh])
        if sha256_file(fresh) != sha256_file(file):
            raise CeremonyError(
                f"{file.name} is not a fresh power-{power} phase 1", field="file_sha256"
            )


def contribute(
    in_dir: Path,
    name: str,
    out_dir: Path,
    circuit: CircuitArtifacts | None = None,
    ptau_dir: Path = PTAU_DIR,
    progress: Progress = lambda _: None,
) -> tuple[TurnState, CeremonyStep]:
    """Verify the directory received, add this party's contribution, write the next one."""
    state = verify_turn(in_dir, circuit, ptau_dir, progress)
    if not name or name in state.contributors:
        raise CeremonyError(f"contributor name {name!r} is empty or already used", field="name")
    out_dir.mkdir(parents=True, exist_ok=True)
    scratch = out_dir.parent / f".{out_dir.name}.next"
    try:
        progress(f"contributing as {name} (fresh entropy, never written anywhere)")
        current = in_dir / state.file_name
        if state.phase == "phase1":
            step = contribute_ptau(current, scratch, name)
        else:
            step = contribute_zkey(current, scratch, name)
        nxt = state.model_copy(update={"steps": [*state.steps, step]})
        return _write(out_dir, nxt, scratch), step
    finally:
        scratch.unlink(missing_ok=True)


def finish_phase1_turns(
    in_dir: Path, beacon: str, ptau_dir: Path = PTAU_DIR, progress: Progress = lambda _: None
) -> PtauRecord:
    """Beacon and `prepare phase2`: the phase 1, recorded as made by the ceremony."""
    state = verify_turn(in_dir, progress=progress)
    if state.phase != "phase1" or not state.contributors:
        raise CeremonyError("finish a phase 1 with at least one contribution", field="phase")
    ptau_dir.mkdir(parents=True, exist_ok=True)
    work = ptau_dir / f".{in_dir.name}.finish"
    work.mkdir(exist_ok=True)
    try:
        beaconed, final = work / "beacon.ptau", work / "final.ptau"
        steps = [*state.steps, ptau_beacon(in_dir / state.file_name, beaconed, beacon, progress)]
        steps.append(prepare_phase2(beaconed, final, progress))
        return store_ptau(final, steps, "generated", "ceremony", ptau_dir, progress)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def finish_phase2_turns(
    in_dir: Path,
    circuit: CircuitArtifacts,
    beacon: str,
    out_dir: Path = CEREMONY_DIR,
    ptau_dir: Path = PTAU_DIR,
    progress: Progress = lambda _: None,
) -> CeremonyOutput:
    """Beacon, verification and vk export: `out_dir/<circuit>/` as `run_phase2` writes it."""
    state = verify_turn(in_dir, circuit, ptau_dir, progress)
    if state.phase != "phase2" or state.ptau is None or state.circuit_hash is None:
        raise CeremonyError(f"{in_dir} is not a phase-2 turn", field="phase")
    if not state.contributors:
        raise CeremonyError("phase 2 needs at least one contribution", field="phase2")
    return finish_phase2(
        circuit,
        state.ptau,
        ptau_path(state.ptau, ptau_dir),
        in_dir / state.file_name,
        list(state.steps),
        state.circuit_hash,
        beacon,
        out_dir,
        progress,
    )
