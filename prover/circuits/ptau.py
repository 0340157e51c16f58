"""Phase 1 (powers of tau) for the ceremony: generated locally or imported, cached by hash.

Generating is slow (`prepare phase2` at power 14 takes ~8 minutes on 2 cores), so a result is
kept in `build/ptau/pot<power>-<sha256 prefix>.ptau` with a record `pot<power>.json`; it is reused
(after checking its sha256) for every circuit that fits, never regenerated.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from prover.circuits.artifacts import PTAU_DIR
from prover.circuits.atomic import atomic_copy, atomic_write_text, sha256_file
from prover.circuits.errors import CeremonyError
from prover.circuits.r1cs import R1csHeader
from prover.circuits.snarkjs import hashes_titled, run
from prover.circuits.transcript import CeremonyStep, PtauRecord

Progress = Callable[[str], None]
MAX_POWER = 28
BEACON_ITERATIONS_EXP = 10


def power_for(header: R1csHeader) -> int:
    """The smallest power snarkjs accepts: 2^power > constraints + public signals."""
    size = header.n_constraints + header.n_public
    return max(1, size.bit_length())


def entropy() -> str:
    """Fresh contribution entropy (os.urandom); passed on stdin, never logged."""
    return os.urandom(64).hex()


def new_beacon() -> str:
    """A random beacon value (hex) when none is given; a real ceremony uses a public one."""
    return os.urandom(32).hex()


def cached_ptau(power: int, ptau_dir: Path = PTAU_DIR) -> PtauRecord | None:
    """The smallest cached ptau of at least `power` whose file still matches its hash."""
    for candidate in range(power, MAX_POWER + 1):
        record_path = ptau_dir / f"pot{candidate}.json"
        if not record_path.is_file():
            continue
        record = PtauRecord.model_validate_json(record_path.read_text())
        file = ptau_dir / record.file
        if file.is_file() and sha256_file(file) == record.sha256:
            return record
    return None


def ptau_path(record: PtauRecord, ptau_dir: Path = PTAU_DIR) -> Path:
    return ptau_dir / record.file


def ensure_ptau(
    power: int,
    contributors: Sequence[str],
    *,
    beacon: str | None = None,
    ptau_dir: Path = PTAU_DIR,
    progress: Progress = lambda _: None,
) -> PtauRecord:
    """A cached ptau of at least `power`, or a new one: contributions, beacon, prepare phase2."""
    cached = cached_ptau(power, ptau_dir)
    if cached is not None:
        progress(f"reusing cached ptau (power {cached.power}, sha256 {cached.sha256[:16]}…)")
        return cached
    if not contributors:
        raise CeremonyError("phase 1 needs at least one contributor", field="contributors")
    beacon = beacon or new_beacon()
    ptau_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ptau_dir, prefix=".work-") as tmp:
        work = Path(tmp)
        steps: list[CeremonyStep] = []
        current = work / "pot_0000.ptau"
        progress(f"ptau: new (power {power})")
        run(["powersoftau", "new", "bn128", str(power), current])
        steps.append(CeremonyStep(kind="ptau-new", file_sha256=sha256_file(current)))
        for i, name in enumerate(contributors, start=1):
            progress(f"ptau: contribution {i} ({name})")
            nxt = work / f"pot_{i:04d}.ptau"
            out = run(
                ["powersoftau", "contribute", current, nxt, f"--name={name}"],
                stdin=entropy() + "\n",
            ).stdout
            steps.append(
                _step("ptau-contribution", name, out, nxt, "Contribution Response Hash imported")
            )
            current = nxt
        progress("ptau: beacon")
        beaconed = work / "pot_beacon.ptau"
        out = run(
            [
                "powersoftau",
                "beacon",
                current,
                beaconed,
                beacon,
                str(BEACON_ITERATIONS_EXP),
                "-n=Final Beacon",
            ]
        ).stdout
        steps.append(
            _step(
                "ptau-beacon", "Final Beacon", out, beaconed, "Contribution Response Hash imported"
            ).model_copy(
                update={"beacon_hash": beacon, "beacon_iterations_exp": BEACON_ITERATIONS_EXP}
            )
        )
        progress("ptau: prepare phase2 (slow at power ≥ 14: minutes)")
        final = work / "pot_final.ptau"
        run(["powersoftau", "prepare", "phase2", beaconed, final])
        digest = sha256_file(final)
        steps.append(CeremonyStep(kind="ptau-prepare-phase2", file_sha256=digest))
        progress("ptau: verify")
        run(["powersoftau", "verify", final])
        return _store(final, power, digest, "generated", steps, ptau_dir)


def import_ptau(
    source: Path, *, ptau_dir: Path = PTAU_DIR, progress: Progress = lambda _: None
) -> PtauRecord:
    """Verify a prepared ptau file (`powersoftau verify`) and cache it."""
    if not source.is_file():
        raise CeremonyError(f"no ptau file at {source}", field="ptau")
    progress(f"ptau: verifying {source.name}")
    out = run(["powersoftau", "verify", source]).stdout
    if "Powers of Tau Ok!" not in out:
        raise CeremonyError(f"{source} did not verify", field="ptau")
    power = _power_of(out, source)
    digest = sha256_file(source)
    step = CeremonyStep(kind="ptau-import", name=source.name, file_sha256=digest)
    return _store(source, power, digest, "imported", [step], ptau_dir, copy=True)


def _power_of(verify_output: str, source: Path) -> int:
    for line in verify_output.splitlines():
        if "power:" in line.lower():
            digits = "".join(ch for ch in line.split(":")[-1] if ch.isdigit())
            if digits:
                return int(digits)
    # snarkjs verify does not always print the power; read it from the file header
    # (section 1: n8q, q, power u32).
    data = source.read_bytes()[: 12 + 12 + 4 + 32 + 4]
    return int.from_bytes(data[12 + 12 + 4 + 32 : 12 + 12 + 4 + 32 + 4], "little")


def _step(kind: str, name: str, output: str, file: Path, title: str) -> CeremonyStep:
    hashes = hashes_titled(output, title)
    if not hashes:
        raise CeremonyError(f"snarkjs printed no {title!r} for {kind} {name}", field=kind)
    return CeremonyStep.model_validate(
        {
            "kind": kind,
            "name": name,
            "contribution_hash": hashes[0],
            "file_sha256": sha256_file(file),
        }
    )


def _store(
    final: Path,
    power: int,
    digest: str,
    source: str,
    steps: list[CeremonyStep],
    ptau_dir: Path,
    copy: bool = False,
) -> PtauRecord:
    name = f"pot{power}-{digest[:16]}.ptau"
    target = ptau_dir / name
    if copy:
        atomic_copy(final, target)
    else:
        shutil.move(str(final), target)
    record = PtauRecord.model_validate(
        {"power": power, "sha256": digest, "file": name, "source": source, "steps": steps}
    )
    atomic_write_text(ptau_dir / f"pot{power}.json", record.model_dump_json(indent=2) + "\n")
    return record
