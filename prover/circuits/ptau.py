"""Phase 1 (powers of tau) for the ceremony: made by the ceremony or imported, cached by hash.

Generating is slow (`prepare phase2` at power 14 takes ~8 minutes on 2 cores), so a result is
kept in `build/ptau/pot<power>-<sha256 prefix>.ptau` with a record `pot<power>-<purpose>.json`
and reused (after checking its sha256) for every circuit that fits. Each record says whom the file
was made for (`Purpose`): the ceremony reuses only a phase 1 it made itself or one imported
explicitly (`--ptau FILE`, verified with `snarkjs powersoftau verify`), never one a benchmark or a
test wrote. Every record lists the phase-1 contributors as the file itself lists them, so they
appear in the ceremony's transcript and summary.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import ValidationError

from prover.circuits.artifacts import PTAU_DIR
from prover.circuits.errors import CeremonyError
from prover.circuits.r1cs import R1csHeader
from prover.circuits.snarkjs import hashes_titled, run
from prover.circuits.transcript import CeremonyStep, PtauRecord, Purpose
from prover.plumbing.atomic import atomic_copy, atomic_write_text
from prover.plumbing.digest import sha256_file

Progress = Callable[[str], None]
MAX_POWER = 28
BEACON_ITERATIONS_EXP = 10
PTAU_BEACON_NAME = "Final Beacon"
_CONTRIBUTION = re.compile(r"Contribution #(\d+): ?(.*)$")
_WORDS = re.compile(r"^(?:[0-9a-f]{8} ?){4}$")


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


def record_path(power: int, purpose: Purpose, ptau_dir: Path = PTAU_DIR) -> Path:
    return ptau_dir / f"pot{power}-{purpose}.json"


def cached_ptau(
    power: int, ptau_dir: Path = PTAU_DIR, *, purpose: Purpose = "ceremony"
) -> PtauRecord | None:
    """The smallest cached phase 1 made for `purpose` of at least `power` whose file still
    matches its hash (records of another purpose, or of none, are not looked at)."""
    for candidate in range(power, MAX_POWER + 1):
        path = record_path(candidate, purpose, ptau_dir)
        if not path.is_file():
            continue
        try:
            record = PtauRecord.model_validate_json(path.read_text())
        except ValidationError:
            continue
        file = ptau_dir / record.file
        if record.purpose == purpose and file.is_file() and sha256_file(file) == record.sha256:
            return record
    return None


def ptau_path(record: PtauRecord, ptau_dir: Path = PTAU_DIR) -> Path:
    return ptau_dir / record.file


def ptau_contributions(verify_output: str) -> list[tuple[str, str]]:
    """(name, response hash) of each contribution `snarkjs powersoftau verify` lists, in order.

    snarkjs prints them last-first: `Contribution #N: <name>`, then two `Response Hash:` blocks
    of which the first is the contribution's own (the one `contribute` printed)."""
    lines = [line.rpartition("snarkJS:")[2].strip() for line in verify_output.splitlines()]
    found: dict[int, tuple[str, str]] = {}
    current: tuple[int, str] | None = None
    for i, line in enumerate(lines):
        match = _CONTRIBUTION.match(line)
        if match:
            current = (int(match.group(1)), match.group(2).strip())
        elif line == "Response Hash:" and current is not None and current[0] not in found:
            block = lines[i + 1 : i + 5]
            if len(block) == 4 and all(_WORDS.match(b) for b in block):
                found[current[0]] = (current[1], "".join(" ".join(block).split()))
    if sorted(found) != list(range(1, len(found) + 1)):
        raise CeremonyError("snarkjs listed the phase-1 contributions out of order", field="ptau")
    return [found[n] for n in sorted(found)]


def verify_ptau(file: Path) -> tuple[int, list[tuple[str, str]]]:
    """`snarkjs powersoftau verify`: (power, contributions), or CeremonyError if it fails."""
    proc = run(["powersoftau", "verify", file], check=False)
    out = proc.stdout + proc.stderr
    if proc.returncode != 0 or "Powers of Tau Ok!" not in out or "[ERROR]" in out:
        raise CeremonyError(f"{file.name} does not verify: {out.strip()[-800:]}", field="ptau")
    return _power_of(out, file), ptau_contributions(out)


def ensure_ptau(
    power: int,
    contributors: Sequence[str],
    *,
    beacon: str | None = None,
    ptau_dir: Path = PTAU_DIR,
    progress: Progress = lambda _: None,
    purpose: Purpose = "ceremony",
) -> PtauRecord:
    """A cached phase 1 made for `purpose` of at least `power`, or a new one (contributions,
    beacon, prepare phase2, verify)."""
    cached = cached_ptau(power, ptau_dir, purpose=purpose)
    if cached is not None:
        progress(
            f"ptau: reusing the {purpose} phase 1 (power {cached.power}, sha256 "
            f"{cached.sha256[:16]}…, contributors: {', '.join(cached.contributors)})"
        )
        return cached
    if not contributors or len(set(contributors)) != len(contributors):
        raise CeremonyError("phase 1 needs contributors with distinct names", field="contributors")
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
            progress(f"ptau: contribution {i}/{len(contributors)} ({name})")
            nxt = work / f"pot_{i:04d}.ptau"
            steps.append(contribute_ptau(current, nxt, name))
            current = nxt
        beaconed = work / "pot_beacon.ptau"
        steps.append(ptau_beacon(current, beaconed, beacon, progress))
        final = work / "pot_final.ptau"
        steps.append(prepare_phase2(beaconed, final, progress))
        return store_ptau(final, steps, "generated", purpose, ptau_dir, progress)


def contribute_ptau(current: Path, nxt: Path, name: str) -> CeremonyStep:
    """One phase-1 contribution (fresh entropy on stdin)."""
    out = run(
        ["powersoftau", "contribute", current, nxt, f"--name={name}"], stdin=entropy() + "\n"
    ).stdout
    return _step("ptau-contribution", name, out, nxt, "Contribution Response Hash imported")


def ptau_beacon(current: Path, out_file: Path, beacon: str, progress: Progress) -> CeremonyStep:
    """The public beacon closing phase 1."""
    progress("ptau: beacon")
    out = run(
        ["powersoftau", "beacon", current, out_file, beacon, str(BEACON_ITERATIONS_EXP),
         f"-n={PTAU_BEACON_NAME}"]
    ).stdout  # fmt: skip
    return _step(
        "ptau-beacon", PTAU_BEACON_NAME, out, out_file, "Contribution Response Hash imported"
    ).model_copy(update={"beacon_hash": beacon, "beacon_iterations_exp": BEACON_ITERATIONS_EXP})


def prepare_phase2(current: Path, final: Path, progress: Progress) -> CeremonyStep:
    progress("ptau: prepare phase2 (slow at power ≥ 14: minutes)")
    run(["powersoftau", "prepare", "phase2", current, final])
    return CeremonyStep(kind="ptau-prepare-phase2", file_sha256=sha256_file(final))


def import_ptau(
    source: Path, *, ptau_dir: Path = PTAU_DIR, progress: Progress = lambda _: None
) -> PtauRecord:
    """Verify a prepared ptau file (`powersoftau verify`) and cache it for the ceremony."""
    if not source.is_file():
        raise CeremonyError(f"no ptau file at {source}", field="ptau")
    progress(f"ptau: verifying {source.name} (imported explicitly)")
    step = CeremonyStep(kind="ptau-import", name=source.name, file_sha256=sha256_file(source))
    return store_ptau(source, [step], "imported", "ceremony", ptau_dir, progress, copy=True)


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


def check_listed(steps: Sequence[CeremonyStep], listed: list[tuple[str, str]]) -> None:
    """A generated phase 1's own steps must be exactly what the file lists."""
    made = [(s.name or "", s.contribution_hash or "") for s in steps
            if s.kind in ("ptau-contribution", "ptau-beacon")]  # fmt: skip
    if made != listed:
        raise CeremonyError(
            f"the phase-1 file lists {[n for n, _ in listed]}, the steps {[n for n, _ in made]}",
            field="ptau.contributors",
        )


def store_ptau(
    final: Path,
    steps: list[CeremonyStep],
    source: str,
    purpose: Purpose,
    ptau_dir: Path,
    progress: Progress,
    copy: bool = False,
) -> PtauRecord:
    progress("ptau: verify")
    power, listed = verify_ptau(final)
    if source == "generated":
        check_listed(steps, listed)
    else:
        steps = steps + [
            CeremonyStep(kind="ptau-contribution", name=name, contribution_hash=digest,
                         file_sha256=steps[0].file_sha256)
            for name, digest in listed
        ]  # fmt: skip
    digest = sha256_file(final)
    name = f"pot{power}-{digest[:16]}.ptau"
    target = ptau_dir / name
    ptau_dir.mkdir(parents=True, exist_ok=True)
    if copy:
        atomic_copy(final, target)
    else:
        shutil.move(str(final), target)
    record = PtauRecord.model_validate(
        {"power": power, "sha256": digest, "file": name, "source": source, "steps": steps,
         "purpose": purpose, "contributors": [n for n, _ in listed]}
    )  # fmt: skip
    atomic_write_text(
        record_path(power, purpose, ptau_dir), record.model_dump_json(indent=2) + "\n"
    )
    return record
