"""Ceremony integrity (issue 12.6): a phase 1 is the ceremony's own or imported and verified (never
a benchmark's), its contributors are in the transcript and the summary, parties on different
machines take turns by passing directories, and progress shows in logs without a terminal."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner
from zkcredits_testing.sandbox_compile import compile_standalone

from prover.circuits.artifacts import CircuitArtifacts
from prover.circuits.ceremony import TRANSCRIPT, load_transcript, verify_ceremony
from prover.circuits.ceremony_turns import TURN_STATE, load_turn
from prover.circuits.errors import CeremonyError
from prover.circuits.manifest import read_manifest
from prover.circuits.ptau import cached_ptau, ensure_ptau, import_ptau, verify_ptau
from prover.circuits.snarkjs import run
from prover.cli.circuits import app

pytestmark = pytest.mark.slow
FIXTURE = Path(__file__).parent / "fixtures" / "fixture.circom"
BEACON = "0d" * 32


@dataclass(frozen=True)
class Dirs:
    root: Path
    artifacts: CircuitArtifacts

    @property
    def ptau(self) -> Path:
        return self.root / "ptau"

    def hidden(self) -> list[str]:
        """The hidden directory options that keep a test inside its tmp dir."""
        args = []
        for option, sub in (("--build-dir", "circuits"), ("--keys-dir", "keys"),
                            ("--out-dir", "generated"), ("--ptau-dir", "ptau")):  # fmt: skip
            args += [option, str(self.root / sub)]
        return args


@pytest.fixture
def dirs(tmp_path: Path) -> Dirs:
    artifacts = compile_standalone(FIXTURE, tmp_path / "circuits" / "fixture")
    return Dirs(tmp_path, artifacts)


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _rehearsal(d: Dirs, *extra: str) -> str:
    return _cli("ceremony", "--circuit", "fixture", "--no-compile", "--power", "8",
                "--beacon", BEACON, "--party", "p2-alice", "--ptau-party", "p1-bob",
                "--out", str(d.root / "out"), *d.hidden(), *extra)  # fmt: skip


def test_a_phase_1_a_benchmark_wrote_is_never_taken_for_the_ceremonys(dirs: Dirs) -> None:
    bench = ensure_ptau(8, ["bench-1", "bench-2"], ptau_dir=dirs.ptau, purpose="benchmark")
    # A record in the format written before purposes existed, like the one the audit found.
    (dirs.ptau / "pot8.json").write_text(
        bench.model_copy(update={"purpose": None}).model_dump_json()
    )
    assert cached_ptau(8, dirs.ptau) is None
    output = _rehearsal(dirs)
    t = load_transcript(dirs.root / "out" / "fixture" / TRANSCRIPT)
    assert t.ptau.sha256 != bench.sha256 and t.ptau.purpose == "ceremony"
    assert t.ptau.contributors == ["p1-bob", "Final Beacon"]
    assert "bench" not in json.dumps(t.model_dump())
    # The summary names every contributor of both phases.
    assert "p1-bob" in output and "p2-alice" in output and "Final Beacon" in output
    # A second ceremony reuses the ceremony's own phase 1, and says so.
    again = _rehearsal(dirs, "--no-install")
    assert "reusing the ceremony phase 1" in again
    assert load_transcript(dirs.root / "out" / "fixture" / TRANSCRIPT).ptau.sha256 == t.ptau.sha256


def test_progress_lines_reach_a_log_without_a_terminal(dirs: Dirs) -> None:
    output = _rehearsal(dirs, "--no-install")
    lines = [line for line in output.splitlines() if line.startswith("ceremony: ")]
    assert any("zkey new" in line for line in lines)
    assert any("contribution 1/1 (p2-alice)" in line for line in lines)
    assert all(line.rstrip().endswith(" s]") for line in lines)


def _external_ptau(directory: Path, names: list[str]) -> Path:
    """A prepared phase 1 made with snarkjs alone (as another project would hand one over)."""
    directory.mkdir(parents=True)
    run(["powersoftau", "new", "bn128", "8", directory / "p0.ptau"])
    current = directory / "p0.ptau"
    for i, name in enumerate(names, start=1):
        nxt = directory / f"p{i}.ptau"
        run(["powersoftau", "contribute", current, nxt, f"--name={name}"], stdin="entropy\n")
        current = nxt
    run(["powersoftau", "prepare", "phase2", current, directory / "final.ptau"])
    return directory / "final.ptau"


def test_an_imported_phase_1_is_verified_and_lists_its_own_contributors(dirs: Dirs) -> None:
    source = _external_ptau(dirs.root / "elsewhere", ["carol", "dan"])
    output = _rehearsal(dirs, "--ptau", str(source), "--no-install")
    t = load_transcript(dirs.root / "out" / "fixture" / TRANSCRIPT)
    assert t.ptau.source == "imported" and t.ptau.contributors == ["carol", "dan"]
    assert [s.kind for s in t.ptau.steps] == [
        "ptau-import",
        "ptau-contribution",
        "ptau-contribution",
    ]
    assert "carol, dan" in output
    broken = dirs.root / "broken.ptau"
    data = bytearray(source.read_bytes())
    data[len(data) // 3] ^= 0x01
    broken.write_bytes(bytes(data))
    with pytest.raises(CeremonyError) as info:
        import_ptau(broken, ptau_dir=dirs.root / "ptau2")
    assert info.value.field == "ptau"
    assert not (dirs.root / "ptau2").exists() or not list((dirs.root / "ptau2").glob("*.json"))


def test_parties_on_different_machines_take_turns_by_passing_directories(dirs: Dirs) -> None:
    turns = dirs.root / "turns"
    p = ["--ptau-dir", str(dirs.ptau)]
    b = ["--no-compile", "--build-dir", str(dirs.root / "circuits"), *p]
    k = ["--keys-dir", str(dirs.root / "keys"), "--out-dir", str(dirs.root / "generated")]
    # Phase 1: the coordinator starts, alice and bob contribute in turn, anyone verifies.
    _cli("ceremony", "start", "--phase1", "--power", "8", "--out", str(turns / "a0"), *p)
    alice = _cli("ceremony", "contribute", str(turns / "a0"), "--name", "alice",
                 "--out", str(turns / "a1"), *p)  # fmt: skip
    _cli("ceremony", "contribute", str(turns / "a1"), "--name", "bob", "--out", str(turns / "a2"),
         *p)  # fmt: skip
    assert "alice, bob" in _cli("ceremony", "verify", str(turns / "a2"), *p)
    listed = verify_ptau(turns / "a2" / "current.ptau")[1]
    assert alice.strip().splitlines()[-1] == listed[0][1]  # the hash alice was told to publish
    _cli("ceremony", "finish", str(turns / "a2"), "--beacon", BEACON, *p)
    record = cached_ptau(8, dirs.ptau)
    assert record is not None and record.contributors == ["alice", "bob", "Final Beacon"]
    # Phase 2 on that phase 1: carol, then dan, then the beacon and the install.
    _cli("ceremony", "start", "--circuit", "fixture", "--out", str(turns / "b0"), *b)
    _cli("ceremony", "contribute", str(turns / "b0"), "--name", "carol",
         "--out", str(turns / "b1"), *b)  # fmt: skip
    _cli("ceremony", "contribute", str(turns / "b1"), "--name", "dan", "--out", str(turns / "b2"),
         *b)  # fmt: skip
    summary = _cli("ceremony", "finish", str(turns / "b2"), "--beacon", BEACON, "--install",
                   "--out", str(dirs.root / "done"), *b, *k)  # fmt: skip
    assert "alice, bob, Final Beacon" in summary and "carol, dan" in summary
    t = verify_ceremony(dirs.artifacts, dirs.ptau / record.file, dirs.root / "done" / "fixture")
    assert [s.name for s in t.phase2[1:]] == ["carol", "dan", "Final Beacon phase2"]
    assert t.ptau.contributors == ["alice", "bob", "Final Beacon"]
    manifest = read_manifest(dirs.root / "keys" / "fixture")
    assert manifest.setup == "multi-party-ceremony" and manifest.vk_hash == t.vk_hash
    assert "alice, bob" in _cli("ceremony", "verify", str(dirs.root / "done" / "fixture"), *b)


def test_a_turn_directory_that_skips_or_repeats_a_contribution_is_refused(dirs: Dirs) -> None:
    turns, h = dirs.root / "turns", ["--ptau-dir", str(dirs.ptau)]
    _cli("ceremony", "start", "--phase1", "--power", "8", "--out", str(turns / "a0"), *h)
    _cli("ceremony", "contribute", str(turns / "a0"), "--name", "alice",
         "--out", str(turns / "a1"), *h)  # fmt: skip
    # Bob gets alice's state with the file from before her contribution: refused.
    forged = turns / "forged"
    shutil.copytree(turns / "a1", forged)
    shutil.copyfile(turns / "a0" / "current.ptau", forged / "current.ptau")
    result = CliRunner().invoke(app, ["ceremony", "contribute", str(forged), "--name", "bob",
                                      "--out", str(turns / "x"), *h])  # fmt: skip
    assert result.exit_code == 1 and "last step" in result.output
    # A turn state that drops alice while the file keeps her contribution: refused by snarkjs.
    state = load_turn(turns / "a1")
    dropped = turns / "dropped"
    shutil.copytree(turns / "a1", dropped)
    edited = state.model_copy(update={"steps": [state.steps[0], state.steps[1].model_copy(
        update={"name": "mallory"})]})  # fmt: skip
    (dropped / TURN_STATE).write_text(edited.model_dump_json())
    result = CliRunner().invoke(app, ["ceremony", "verify", str(dropped), *h])
    assert result.exit_code == 1 and "mallory" in result.output
    # The same name twice is refused.
    again = ["ceremony", "contribute", str(turns / "a1"), "--name", "alice", "--out"]
    result = CliRunner().invoke(app, [*again, str(turns / "y"), *h])
    assert result.exit_code == 1 and "already used" in result.output
