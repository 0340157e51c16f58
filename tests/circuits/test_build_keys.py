"""Dev keys cached by r1cs hash, crash-safe key directories, the vk hash, the Solidity verifier."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from eth_abi import encode
from eth_hash.auto import keccak
from pyrevm import EVM
from typer.testing import CliRunner
from zkcredits_testing.sandbox_compile import compile_standalone

from prover.circuits.artifacts import CircuitArtifacts
from prover.circuits.build import BuildDirs, build_circuit
from prover.circuits.errors import ArtifactError
from prover.circuits.keys import ensure_dev_keys, load_vk
from prover.circuits.manifest import PROVING_KEY_NAME, read_manifest
from prover.circuits.prover import CircuitKeys, Prover
from prover.cli.circuits import app
from prover.plumbing.atomic import atomic_write_bytes, atomic_write_with
from prover.toolchain.solc import compile_files

FIXTURE = Path(__file__).parent / "fixtures" / "fixture.circom"
INPUTS = {"k": 5, "n": 3, "x": 11, "c_max": 100}


@pytest.fixture(scope="module")
def fixture_circuit(tmp_path_factory: pytest.TempPathFactory) -> CircuitArtifacts:
    return compile_standalone(FIXTURE, tmp_path_factory.mktemp("circuits") / "fixture")


def _variant(tmp: Path) -> CircuitArtifacts:
    """The fixture with one more constraint: a different r1cs under the same name."""
    source = FIXTURE.read_text().replace(
        "signal c_sq <== c_max * c_max;",
        "signal c_sq <== c_max * c_max;\n    signal c_cu <== c_sq * c_max;",
    )
    path = tmp / "src" / "fixture.circom"
    path.parent.mkdir(parents=True)
    path.write_text(source)
    return compile_standalone(path, tmp / "variant")


def test_the_dev_setup_is_reused_for_the_same_r1cs_and_redone_for_a_new_one(
    fixture_circuit: CircuitArtifacts, tmp_path: Path
) -> None:
    first = ensure_dev_keys(fixture_circuit, tmp_path)
    again = ensure_dev_keys(fixture_circuit, tmp_path)
    assert not first.reused and again.reused
    assert again.manifest == first.manifest
    assert first.manifest.setup == "dev-single-party" and "DEV ONLY" in (
        first.manifest.warning or ""
    )

    changed = ensure_dev_keys(_variant(tmp_path), tmp_path)
    assert not changed.reused
    assert changed.manifest.r1cs_sha256 != first.manifest.r1cs_sha256
    assert changed.manifest.vk_hash != first.manifest.vk_hash
    assert changed.manifest.n_constraints == first.manifest.n_constraints + 1


def test_keys_whose_file_no_longer_matches_the_manifest_are_refused_and_rebuilt(
    fixture_circuit: CircuitArtifacts, tmp_path: Path
) -> None:
    made = ensure_dev_keys(fixture_circuit, tmp_path)
    pk = made.directory / PROVING_KEY_NAME
    pk.write_bytes(pk.read_bytes()[: pk.stat().st_size // 2])  # a half-written key

    with pytest.raises(ArtifactError) as err:
        read_manifest(made.directory)
    assert err.value.field == PROVING_KEY_NAME
    with pytest.raises(ArtifactError):
        CircuitKeys.load_from(made.directory, fixture_circuit)
    rebuilt = ensure_dev_keys(fixture_circuit, tmp_path)
    assert not rebuilt.reused
    read_manifest(rebuilt.directory)


def test_keys_made_for_another_r1cs_are_not_loaded(
    fixture_circuit: CircuitArtifacts, tmp_path: Path
) -> None:
    made = ensure_dev_keys(_variant(tmp_path), tmp_path / "keys")
    with pytest.raises(ArtifactError) as err:
        CircuitKeys.load_from(made.directory, fixture_circuit)
    assert err.value.field == "r1cs_sha256"


def test_an_interrupted_atomic_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "proving_key.bin"
    atomic_write_bytes(target, b"complete old key")

    def crash(tmp: Path) -> None:
        tmp.write_bytes(b"half a ne")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write_with(target, crash)
    assert target.read_bytes() == b"complete old key"
    assert [p.name for p in tmp_path.iterdir()] == ["proving_key.bin"]


def _verifier_constants(source: str) -> list[int]:
    names = [
        "alphax",
        "alphay",
        "betax1",
        "betax2",
        "betay1",
        "betay2",
        "gammax1",
        "gammax2",
        "gammay1",
        "gammay2",
        "deltax1",
        "deltax2",
        "deltay1",
        "deltay2",
    ]
    values = [int(re.search(rf"constant {n}\s*=\s*(\d+);", source).group(1)) for n in names]  # type: ignore[union-attr]
    i = 0
    while (m := re.search(rf"constant IC{i}x\s*=\s*(\d+);", source)) is not None:
        y = re.search(rf"constant IC{i}y\s*=\s*(\d+);", source)
        assert y is not None
        values += [int(m.group(1)), int(y.group(1))]
        i += 1
    return values


def test_the_vk_hash_is_the_keccak_of_the_verifier_constants_in_order(
    fixture_circuit: CircuitArtifacts, tmp_path: Path
) -> None:
    dirs = BuildDirs(circuits=tmp_path, keys=tmp_path / "keys", generated=tmp_path / "gen")
    built = build_circuit(fixture_circuit, dirs)
    source = built.verifier.read_text()
    packed = b"".join(v.to_bytes(32, "big") for v in _verifier_constants(source))

    assert built.vk_hash == "0x" + keccak(packed).hex()
    assert f"bytes32 public constant VK_HASH = {built.vk_hash};" in source
    assert load_vk(built.setup.directory).hash_hex() == built.vk_hash
    index = json.loads((tmp_path / "gen" / "verifiers.json").read_text())
    assert index["fixture"]["vk_hash"] == built.vk_hash


def test_the_generated_verifier_compiles_with_solc_0_8_37_and_checks_proofs_on_the_evm(
    fixture_circuit: CircuitArtifacts, tmp_path: Path
) -> None:
    dirs = BuildDirs(circuits=tmp_path, keys=tmp_path / "keys", generated=tmp_path / "gen")
    built = build_circuit(fixture_circuit, dirs)
    source = built.verifier.read_text()
    assert "DEV-ONLY VERIFIER" in source and "pragma solidity 0.8.37;" in source
    contract = compile_files([], extra_sources={"FixtureVerifier.sol": source})["FixtureVerifier"]

    evm = EVM()
    caller = "0x" + "11" * 20
    evm.set_balance(caller, 10**20)
    address = evm.deploy(caller, bytes.fromhex(contract.bytecode.removeprefix("0x")))
    keys = CircuitKeys.load_from(built.setup.directory, fixture_circuit)
    with Prover(keys) as prover:
        proof = prover.prove(INPUTS)
    a, b, c, signals = proof.solidity_args()
    selector = keccak(b"verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[4])")[:4]

    def call(sig: list[int]) -> bool:
        data = selector + encode(
            ["uint256[2]", "uint256[2][2]", "uint256[2]", "uint256[4]"], [a, b, c, sig]
        )
        return int.from_bytes(evm.message_call(caller, address, data, gas=1_000_000), "big") == 1

    assert call(signals)
    assert not call([signals[1], signals[0], *signals[2:]])
    assert evm.message_call(caller, address, keccak(b"DEV_SETUP()")[:4])[-1] == 1
    assert "0x" + evm.message_call(caller, address, keccak(b"VK_HASH()")[:4]).hex() == built.vk_hash


def test_the_build_command_writes_keys_and_verifiers_and_warns_about_the_dev_setup(
    fixture_circuit: CircuitArtifacts, tmp_path: Path
) -> None:
    args = [
        "build",
        "--circuit",
        "fixture",
        "--no-compile",
        "--build-dir",
        str(fixture_circuit.r1cs.parent.parent),
        "--keys-dir",
        str(tmp_path / "keys"),
        "--out-dir",
        str(tmp_path / "gen"),
    ]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "DEV SETUP" in first.output
    manifest = read_manifest(tmp_path / "keys" / "fixture")
    assert (tmp_path / "gen" / "FixtureVerifier.sol").is_file()

    second = CliRunner().invoke(app, [*args, "--json"])
    assert second.exit_code == 0, second.output
    (row,) = json.loads(second.stdout)
    assert row["reused"] is True and row["vk_hash"] == manifest.vk_hash
    assert read_manifest(tmp_path / "keys" / "fixture") == manifest


def test_the_build_command_fails_cleanly_on_a_missing_circuit(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "build",
            "--circuit",
            "nope",
            "--no-compile",
            "--build-dir",
            str(tmp_path),
            "--keys-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 1
    assert "nope" in result.output and "not compiled" in result.output
