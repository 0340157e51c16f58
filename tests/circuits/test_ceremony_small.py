"""The multi-party ceremony end to end on a small circuit (power 8: seconds, not minutes)."""

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
from prover.circuits.errors import CeremonyError
from prover.circuits.keys import import_ceremony_keys
from prover.circuits.manifest import read_manifest
from prover.circuits.proof import snarkjs_to_calldata
from prover.circuits.prover import CircuitKeys, Prover
from prover.circuits.ptau import cached_ptau, ensure_ptau, power_for
from prover.circuits.r1cs import read_r1cs_header
from prover.circuits.snarkjs import (
    export_verification_key,
    groth16_prove,
    groth16_verify,
    wtns_calculate,
)
from prover.circuits.vkey import parse_vk
from prover.cli.circuits import app
from prover.plumbing.digest import sha256_file

pytestmark = pytest.mark.slow
FIXTURE = Path(__file__).parent / "fixtures" / "fixture.circom"
INPUTS = {"k": 5, "n": 3, "x": 11, "c_max": 100}
PARTIES = ["alice", "bob", "carol"]
BEACON = "5a" * 32


@dataclass(frozen=True)
class Ceremony:
    artifacts: CircuitArtifacts
    root: Path
    output: str

    @property
    def directory(self) -> Path:
        return self.root / "ceremony" / "fixture"

    @property
    def ptau_dir(self) -> Path:
        return self.root / "ptau"

    def ptau_file(self) -> Path:
        record = load_transcript(self.directory / TRANSCRIPT).ptau
        return self.ptau_dir / record.file


@pytest.fixture(scope="module")
def ceremony(tmp_path_factory: pytest.TempPathFactory) -> Ceremony:
    """`zkcredits circuits ceremony` on the fixture: new ptau (power 8), 3 parties, beacon."""
    root = tmp_path_factory.mktemp("ceremony")
    artifacts = compile_standalone(FIXTURE, root / "circuits" / "fixture")
    args = ["ceremony", "--circuit", "fixture", "--no-compile", "--power", "8", "--beacon", BEACON]
    for name in PARTIES:
        args += ["--party", name]
    for option, sub in (
        ("--build-dir", "circuits"),
        ("--keys-dir", "keys"),
        ("--out-dir", "generated"),
        ("--ceremony-dir", "ceremony"),
        ("--ptau-dir", "ptau"),
    ):
        args += [option, str(root / sub)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return Ceremony(artifacts, root, result.output)


def test_the_transcript_records_every_step_in_order_with_consistent_hashes(
    ceremony: Ceremony,
) -> None:
    t = load_transcript(ceremony.directory / TRANSCRIPT)
    assert t.ptau.power == 8 and t.ptau.source == "generated"
    assert [s.kind for s in t.ptau.steps] == [
        "ptau-new",
        "ptau-contribution",
        "ptau-contribution",
        "ptau-beacon",
        "ptau-prepare-phase2",
    ]
    assert t.ptau.steps[-1].file_sha256 == t.ptau.sha256
    assert [s.kind for s in t.phase2] == ["zkey-new"] + ["zkey-contribution"] * 3 + ["zkey-beacon"]
    assert [s.name for s in t.phase2[1:]] == [*PARTIES, "Final Beacon phase2"]
    hashes = [s.contribution_hash for s in t.phase2[1:]]
    assert all(h is not None and len(h) == 128 for h in hashes)
    assert len(set(hashes)) == len(hashes)
    assert len({s.file_sha256 for s in t.phase2}) == len(t.phase2)
    assert t.phase2[-1].beacon_hash == BEACON
    assert t.phase2[-1].file_sha256 == t.final_zkey_sha256
    vk = export_verification_key(ceremony.directory / "final.zkey")
    assert parse_vk(vk).hash_hex() == t.vk_hash


def test_contribution_entropy_never_reaches_the_transcript_or_output(ceremony: Ceremony) -> None:
    text = (ceremony.directory / TRANSCRIPT).read_text() + ceremony.output
    assert "entropy" not in text.lower()


def test_the_whole_ceremony_verifies_again_from_its_files(ceremony: Ceremony) -> None:
    t = verify_ceremony(ceremony.artifacts, ceremony.ptau_file(), ceremony.directory)
    assert t.snarkjs_verify == "ZKey Ok!"


def test_the_installed_keys_are_the_ceremony_keys(ceremony: Ceremony) -> None:
    manifest = read_manifest(ceremony.root / "keys" / "fixture")
    t = load_transcript(ceremony.directory / TRANSCRIPT)
    assert manifest.setup == "multi-party-ceremony" and manifest.vk_hash == t.vk_hash
    assert manifest.zkey_sha256 == t.final_zkey_sha256
    source = (ceremony.root / "generated" / "FixtureVerifier.sol").read_text()
    assert "DEV-ONLY" not in source and "bool public constant DEV_SETUP = false;" in source


def test_a_groth16py_proof_with_the_final_zkey_verifies_in_snarkjs(ceremony: Ceremony) -> None:
    keys = CircuitKeys.load_from(ceremony.root / "keys" / "fixture", ceremony.artifacts)
    with Prover(keys) as prover:
        proof = prover.prove(INPUTS)
    vk = export_verification_key(ceremony.directory / "final.zkey")
    assert groth16_verify(vk, proof.public_signals, proof.to_snarkjs())
    assert not groth16_verify(vk, proof.public_signals[::-1], proof.to_snarkjs())


def test_a_snarkjs_proof_with_the_final_zkey_verifies_in_groth16py(
    ceremony: Ceremony, tmp_path: Path
) -> None:
    keys = CircuitKeys.load_from(ceremony.root / "keys" / "fixture", ceremony.artifacts)
    wtns = tmp_path / "w.wtns"
    wtns_calculate(ceremony.artifacts.wasm, {k: str(v) for k, v in INPUTS.items()}, wtns)
    proof_json, public = groth16_prove(ceremony.directory / "final.zkey", wtns)
    blob = snarkjs_to_calldata(proof_json)

    assert keys.verify(blob, public)
    assert not keys.verify(blob, [public[1], public[0], *public[2:]])
    assert not keys.verify(blob[:192] + blob[:64], public)  # C replaced by A: on the curve


def _copy(ceremony: Ceremony, tmp_path: Path) -> Path:
    target = tmp_path / "fixture"
    shutil.copytree(ceremony.directory, target)
    return target


def test_the_ceremony_command_re_verifies_an_existing_ceremony(ceremony: Ceremony) -> None:
    args = ["ceremony", "--verify-only", "--circuit", "fixture", "--no-compile"]
    for option, sub in (
        ("--build-dir", "circuits"),
        ("--ceremony-dir", "ceremony"),
        ("--ptau-dir", "ptau"),
    ):
        args += [option, str(ceremony.root / sub)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "alice" in result.output


def test_a_tampered_zkey_is_detected(ceremony: Ceremony, tmp_path: Path) -> None:
    copy = _copy(ceremony, tmp_path)
    zkey = copy / "final.zkey"
    data = bytearray(zkey.read_bytes())
    data[len(data) // 2] ^= 0xFF
    zkey.write_bytes(bytes(data))
    with pytest.raises(CeremonyError) as err:
        verify_ceremony(ceremony.artifacts, ceremony.ptau_file(), copy)
    assert err.value.field == "final_zkey_sha256"

    # Even with the transcript's file hash updated to match, snarkjs's chain check refuses it.
    transcript = json.loads((copy / TRANSCRIPT).read_text())
    transcript["final_zkey_sha256"] = sha256_file(zkey)
    transcript["phase2"][-1]["file_sha256"] = sha256_file(zkey)
    (copy / TRANSCRIPT).write_text(json.dumps(transcript))
    with pytest.raises(CeremonyError) as err:
        verify_ceremony(ceremony.artifacts, ceremony.ptau_file(), copy)
    assert err.value.field == "zkey"


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda t: t["phase2"][2].update(contribution_hash="00" * 64), "phase2[2]"),
        (lambda t: t["phase2"][1].update(name="mallory"), "phase2[1]"),
        (lambda t: t["phase2"].pop(2), "phase2"),
        (lambda t: t.update(vk_hash="0x" + "11" * 32), "vk_hash"),
        (lambda t: t["ptau"].update(sha256="ab" * 32), "ptau.sha256"),
    ],
)
def test_a_tampered_transcript_is_detected(
    ceremony: Ceremony, tmp_path: Path, edit: object, field: str
) -> None:
    copy = _copy(ceremony, tmp_path)
    transcript = json.loads((copy / TRANSCRIPT).read_text())
    edit(transcript)  # type: ignore[operator]
    (copy / TRANSCRIPT).write_text(json.dumps(transcript))
    with pytest.raises(CeremonyError) as err:
        verify_ceremony(ceremony.artifacts, ceremony.ptau_file(), copy)
    assert err.value.field == field


def test_the_ptau_is_cached_by_hash_and_a_corrupted_cache_is_not_used(ceremony: Ceremony) -> None:
    record = cached_ptau(8, ceremony.ptau_dir)
    assert record is not None
    assert ensure_ptau(8, ["someone"], ptau_dir=ceremony.ptau_dir) == record  # no regeneration
    assert cached_ptau(power_for(read_r1cs_header(ceremony.artifacts.r1cs)), ceremony.ptau_dir)

    corrupt_dir = ceremony.root / "ptau-corrupt"
    shutil.copytree(ceremony.ptau_dir, corrupt_dir)
    with (corrupt_dir / record.file).open("ab") as handle:
        handle.write(b"\0")
    assert cached_ptau(8, corrupt_dir) is None


def test_importing_ceremony_keys_reports_the_zkey_hash(ceremony: Ceremony, tmp_path: Path) -> None:
    result = import_ceremony_keys(ceremony.artifacts, ceremony.directory / "final.zkey", tmp_path)
    t = load_transcript(ceremony.directory / TRANSCRIPT)
    assert result.manifest.zkey_sha256 == t.final_zkey_sha256
    assert result.manifest.vk_hash == t.vk_hash
