"""Multi-party phase 2 with snarkjs (PROTOCOL §15) and the check of its transcript.

    zkey new → one contribution per named party (entropy from os.urandom, on stdin, never logged)
    → beacon → `zkey verify` of the whole chain → export of the final vk → transcript.json

Outputs go to `build/ceremony/<circuit>/`: `final.zkey`, `verification_key.json`,
`transcript.json`. `verify_ceremony` re-checks all of it from the files alone.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from prover.circuits.artifacts import CEREMONY_DIR, PTAU_DIR, CircuitArtifacts
from prover.circuits.errors import CeremonyError
from prover.circuits.ptau import BEACON_ITERATIONS_EXP, Progress, entropy, new_beacon, ptau_path
from prover.circuits.r1cs import read_r1cs_header
from prover.circuits.snarkjs import export_verification_key, hashes_titled, labelled_hashes, run
from prover.circuits.transcript import CeremonyStep, PtauRecord, Transcript
from prover.circuits.vkey import parse_vk
from prover.plumbing.atomic import atomic_write_text
from prover.plumbing.digest import sha256_file

FINAL_ZKEY = "final.zkey"
VK_JSON = "verification_key.json"
TRANSCRIPT = "transcript.json"
BEACON_NAME = "Final Beacon phase2"


@dataclass(frozen=True)
class CeremonyOutput:
    """Where one circuit's ceremony results are."""

    directory: Path
    transcript: Transcript

    @property
    def zkey(self) -> Path:
        return self.directory / FINAL_ZKEY

    @property
    def vk_json(self) -> Path:
        return self.directory / VK_JSON

    @property
    def transcript_path(self) -> Path:
        return self.directory / TRANSCRIPT


def run_phase2(
    circuit: CircuitArtifacts,
    ptau: PtauRecord,
    parties: Sequence[str],
    *,
    beacon: str | None = None,
    ptau_dir: Path = PTAU_DIR,
    out_dir: Path = CEREMONY_DIR,
    progress: Progress = lambda _: None,
) -> CeremonyOutput:
    """Run phase 2 for `circuit` over `ptau` with one contribution per party, then a beacon.

    The single-machine rehearsal of what `ceremony_turns` does with parties on other machines."""
    if len(parties) < 1 or len(set(parties)) != len(parties):
        raise CeremonyError("phase 2 needs at least one party, names distinct", field="parties")
    beacon = beacon or new_beacon()
    check_beacon(beacon)
    ptau_file = ptau_path(ptau, ptau_dir)
    directory = out_dir / circuit.name
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory, prefix=".work-") as tmp:
        work = Path(tmp)
        current = work / "c_0000.zkey"
        circuit_hash, first = new_zkey(circuit, ptau_file, current, progress)
        steps = [first]
        for i, name in enumerate(parties, start=1):
            progress(f"{circuit.name}: contribution {i}/{len(parties)} ({name})")
            nxt = work / f"c_{i:04d}.zkey"
            steps.append(contribute_zkey(current, nxt, name))
            current = nxt
        return finish_phase2(
            circuit, ptau, ptau_file, current, steps, circuit_hash, beacon, out_dir, progress
        )


def new_zkey(
    circuit: CircuitArtifacts, ptau_file: Path, out_file: Path, progress: Progress
) -> tuple[str, CeremonyStep]:
    """`snarkjs zkey new`: (snarkjs's circuit hash, the step)."""
    progress(f"{circuit.name}: zkey new")
    out = run(["zkey", "new", circuit.r1cs, ptau_file, out_file]).stdout
    circuit_hash = _one(hashes_titled(out, "Circuit hash"), "Circuit hash")
    return circuit_hash, CeremonyStep(kind="zkey-new", file_sha256=sha256_file(out_file))


def contribute_zkey(current: Path, nxt: Path, name: str) -> CeremonyStep:
    """One phase-2 contribution (fresh entropy on stdin, never logged)."""
    out = run(["zkey", "contribute", current, nxt, f"--name={name}"], stdin=entropy() + "\n").stdout
    return contribution_step("zkey-contribution", name, out, nxt)


def finish_phase2(
    circuit: CircuitArtifacts,
    ptau: PtauRecord,
    ptau_file: Path,
    current: Path,
    steps: list[CeremonyStep],
    circuit_hash: str,
    beacon: str,
    out_dir: Path,
    progress: Progress,
) -> CeremonyOutput:
    """Beacon, `zkey verify` of the whole chain, vk export, transcript: `out_dir/<circuit>/`."""
    check_beacon(beacon)
    header = read_r1cs_header(circuit.r1cs)
    directory = out_dir / circuit.name
    directory.mkdir(parents=True, exist_ok=True)
    (directory / TRANSCRIPT).unlink(missing_ok=True)  # incomplete until rewritten last
    with tempfile.TemporaryDirectory(dir=directory, prefix=".final-") as tmp:
        progress(f"{circuit.name}: beacon")
        final_tmp = Path(tmp) / FINAL_ZKEY
        out = run(
            ["zkey", "beacon", current, final_tmp, beacon, str(BEACON_ITERATIONS_EXP),
             f"-n={BEACON_NAME}"]
        ).stdout  # fmt: skip
        steps = [
            *steps,
            contribution_step("zkey-beacon", BEACON_NAME, out, final_tmp).model_copy(
                update={"beacon_hash": beacon, "beacon_iterations_exp": BEACON_ITERATIONS_EXP}
            ),
        ]
        progress(f"{circuit.name}: zkey verify (whole chain)")
        verify_chain(circuit.r1cs, ptau_file, final_tmp, steps, circuit_hash)
        progress(f"{circuit.name}: export verification key")
        vk = parse_vk(export_verification_key(final_tmp))  # refuses gamma == delta
        shutil.move(str(final_tmp), directory / FINAL_ZKEY)
    atomic_write_text(directory / VK_JSON, vk.canonical_json() + "\n")
    transcript = Transcript(
        circuit=circuit.name,
        r1cs_sha256=sha256_file(circuit.r1cs),
        circuit_hash=circuit_hash,
        n_constraints=header.n_constraints,
        ptau=ptau,
        phase2=steps,
        final_zkey_sha256=sha256_file(directory / FINAL_ZKEY),
        vk_hash=vk.hash_hex(),
        vk_sha256=sha256_file(directory / VK_JSON),
        snarkjs_verify="ZKey Ok!",
    )
    atomic_write_text(directory / TRANSCRIPT, transcript.model_dump_json(indent=2) + "\n")
    return CeremonyOutput(directory, transcript)


def load_transcript(path: Path) -> Transcript:
    """Parse a transcript file (malformed → CeremonyError)."""
    try:
        return Transcript.model_validate_json(path.read_text())
    except (OSError, ValidationError) as exc:
        raise CeremonyError(f"{path} is not a valid transcript: {exc}", field="transcript") from exc


def verify_ceremony(
    circuit: CircuitArtifacts, ptau_file: Path, directory: Path, progress: Progress = lambda _: None
) -> Transcript:
    """Re-check a ceremony from its files: hashes, `zkey verify` of the chain, the vk.

    Raises CeremonyError naming the first thing that does not match.
    """
    transcript = load_transcript(directory / TRANSCRIPT)
    zkey = directory / FINAL_ZKEY
    _expect(transcript.r1cs_sha256, sha256_file(circuit.r1cs), "r1cs_sha256")
    _expect(transcript.ptau.sha256, sha256_file(ptau_file), "ptau.sha256")
    _expect(transcript.final_zkey_sha256, sha256_file(zkey), "final_zkey_sha256")
    _expect(transcript.vk_sha256, sha256_file(directory / VK_JSON), "vk_sha256")
    if transcript.phase2[-1].file_sha256 != transcript.final_zkey_sha256:
        raise CeremonyError("the last phase-2 step is not the final zkey", field="phase2")
    progress(f"{circuit.name}: zkey verify")
    verify_chain(circuit.r1cs, ptau_file, zkey, transcript.phase2, transcript.circuit_hash)
    vk = parse_vk(export_verification_key(zkey))
    _expect(transcript.vk_hash, vk.hash_hex(), "vk_hash")
    stored = parse_vk(json.loads((directory / VK_JSON).read_text()))
    _expect(transcript.vk_hash, stored.hash_hex(), "verification_key.json")
    return transcript


def verify_chain(
    r1cs: Path, ptau: Path, zkey: Path, steps: Sequence[CeremonyStep], circuit_hash: str
) -> None:
    """`snarkjs zkey verify`, then its list of contributions must equal `steps` (in order)."""
    proc = run(["zkey", "verify", r1cs, ptau, zkey], check=False)
    out = proc.stdout + proc.stderr
    if proc.returncode != 0 or "ZKey Ok!" not in out:
        raise CeremonyError(f"snarkjs zkey verify refused {zkey.name}: {out[-800:]}", field="zkey")
    _expect(circuit_hash, _one(hashes_titled(out, "Circuit Hash"), "Circuit Hash"), "circuit_hash")
    listed = {}
    for title, digest in labelled_hashes(out):
        if title.startswith("contribution #"):
            number, _, name = title.removeprefix("contribution #").partition(" ")
            listed[int(number)] = (name, digest)
    contributed = [s for s in steps if s.kind in ("zkey-contribution", "zkey-beacon")]
    if len(listed) != len(contributed):
        raise CeremonyError(
            f"zkey has {len(listed)} contributions, the transcript {len(contributed)}",
            field="phase2",
        )
    for i, step in enumerate(contributed, start=1):
        name, digest = listed[i]
        if name != (step.name or "") or digest != step.contribution_hash:
            raise CeremonyError(
                f"contribution #{i} ({step.name}) does not match the zkey ({name})",
                field=f"phase2[{i}]",
            )


def contribution_step(kind: str, name: str, output: str, file: Path) -> CeremonyStep:
    digest = _one(hashes_titled(output, "Contribution Hash"), f"{kind} {name} contribution hash")
    return CeremonyStep.model_validate(
        {"kind": kind, "name": name, "contribution_hash": digest, "file_sha256": sha256_file(file)}
    )


def _one(values: list[str], what: str) -> str:
    if not values:
        raise CeremonyError(f"snarkjs printed no {what}", field=what)
    return values[-1]


def _expect(recorded: str, actual: str, field: str) -> None:
    if recorded != actual:
        raise CeremonyError(
            f"{field} does not match: transcript {recorded}, found {actual}", field=field
        )


def check_beacon(beacon: str) -> None:
    try:
        raw = bytes.fromhex(beacon)
    except ValueError as exc:
        raise CeremonyError("beacon must be hex", field="beacon") from exc
    if not 1 <= len(raw) <= 64:
        raise CeremonyError("beacon must be 1..64 bytes of hex", field="beacon")
