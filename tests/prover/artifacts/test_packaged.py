"""The package data: built from the checkout, cached on input hashes, read without the source
tree, and refused by name when absent or when the checkout is needed and missing."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from eth_hash.auto import keccak

import prover.artifacts.packaged as packaged
import prover.toolchain.checkout as checkout
from prover.artifacts.errors import PackagedArtifactMissingError
from prover.chain.artifacts import compile_vault_artifacts, vault_artifacts
from prover.circuits.keys import load_vk
from prover.circuits.verifier_code import packaged_codehash, packaged_verifier
from prover.circuits.verifier_export import render_verifier_source
from prover.toolchain.artifact_build import build_artifacts, inputs_sha256
from prover.toolchain.errors import CheckoutRequiredError

ROOT = checkout.checkout_root("tests")


def test_a_second_build_with_unchanged_inputs_writes_nothing() -> None:
    build_artifacts()
    before = {p: p.stat().st_mtime_ns for p in packaged.data_dir().rglob("*") if p.is_file()}
    report = build_artifacts()
    assert report.built is False
    assert report.inputs_sha256 == inputs_sha256(ROOT) == packaged.manifest().inputs_sha256
    after = {p: p.stat().st_mtime_ns for p in packaged.data_dir().rglob("*") if p.is_file()}
    assert after == before


def test_every_packaged_file_matches_the_sha256_its_manifest_records() -> None:
    manifest = packaged.manifest()
    assert "contracts.json" in manifest.files and "instances.json" in manifest.files
    for rel, digest in manifest.files.items():
        assert hashlib.sha256((packaged.data_dir() / rel).read_bytes()).hexdigest() == digest


def test_the_inputs_digest_changes_when_a_contract_source_changes(tmp_path: Path) -> None:
    (tmp_path / "contracts" / "vault").mkdir(parents=True)
    (tmp_path / "circuits").mkdir()
    (tmp_path / "circuits" / "instances.json").write_text("{}")
    source = tmp_path / "contracts" / "vault" / "V.sol"
    source.write_text("contract V {}")
    first = inputs_sha256(tmp_path)
    assert inputs_sha256(tmp_path) == first
    source.write_text("contract V { uint x; }")
    assert inputs_sha256(tmp_path) != first


@pytest.mark.slow
def test_the_packaged_vault_is_what_the_sources_compile_to() -> None:
    fresh = compile_vault_artifacts()
    shipped = vault_artifacts()
    for name in ("EthCreditVault", "TokenCreditVault", "PoseidonT3", "PoseidonT5"):
        assert shipped[name].bytecode == fresh[name].bytecode, name
        assert shipped[name].abi == fresh[name].abi, name


def test_the_packaged_instances_are_the_checkout_file() -> None:
    assert packaged.instances_file().read_bytes() == (ROOT / "circuits/instances.json").read_bytes()


def test_the_packaged_verifiers_match_the_dev_keys_and_refuse_any_other_source() -> None:
    for circuit in ("withdraw", "slash"):
        vk = load_vk(ROOT / "build/keys" / circuit)
        entry = packaged.verifiers()[circuit]
        assert entry.vk_hash == vk.hash_hex()
        source = render_verifier_source(circuit, vk, entry.setup)  # type: ignore[arg-type]
        shipped = packaged_verifier(circuit, source)
        assert shipped is not None and shipped.name == entry.contract
        runtime = bytes.fromhex(shipped.deployed_bytecode.removeprefix("0x"))
        assert "0x" + keccak(runtime).hex() == entry.runtime_codehash
        assert packaged_verifier(circuit, source + "\n// tampered\n") is None
        assert packaged_codehash(circuit, vk.hash_hex(), entry.setup) == entry.runtime_codehash  # type: ignore[arg-type]
        assert packaged_codehash(circuit, "0x" + "11" * 32, entry.setup) is None  # type: ignore[arg-type]
        assert packaged_codehash(circuit, vk.hash_hex(), "ceremony") is None


def test_a_missing_artifact_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shutil.copy(packaged.data_dir() / "manifest.json", tmp_path / "manifest.json")
    monkeypatch.setattr(packaged, "data_dir", lambda: tmp_path)
    packaged.clear_cache()
    try:
        with pytest.raises(PackagedArtifactMissingError) as caught:
            packaged.contract("EthCreditVault")
        assert caught.value.field == "contracts.json"
        with pytest.raises(PackagedArtifactMissingError) as caught:
            packaged.circuit_dir("request")
        assert caught.value.field == "circuits/request/request_js/request.wasm"
        (tmp_path / "contracts.json").write_text(json.dumps({}))
        packaged.clear_cache()
        with pytest.raises(PackagedArtifactMissingError) as caught:
            packaged.contract("EthCreditVault")
        assert caught.value.field == "EthCreditVault"
        assert packaged.verifiers() == {}
    finally:
        packaged.clear_cache()


def test_build_steps_outside_a_checkout_fail_with_a_named_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(checkout, "_CANDIDATE", tmp_path)
    assert checkout.in_checkout() is False
    with pytest.raises(CheckoutRequiredError) as caught:
        build_artifacts()
    assert caught.value.field == "checkout"
    with pytest.raises(CheckoutRequiredError):
        compile_vault_artifacts()
