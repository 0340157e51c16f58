"""A verifier's runtime code is a function of (circuit, vk, setup): rebuilt anywhere, byte for byte,
and its codehash is recorded by the build and cached by source hash (verifier_code.py)."""

from __future__ import annotations

import json
from pathlib import Path

from web3 import Web3

from prover.chain.deploy.inputs import read_build
from prover.chain.tx import deploy
from prover.circuits.artifacts import GENERATED_DIR, KEYS_DIR
from prover.circuits.build import CircuitBuild
from prover.circuits.keys import load_vk
from prover.circuits.manifest import CEREMONY_SETUP, read_manifest
from prover.circuits.verifier_code import (
    CodehashCache,
    codehash_of,
    expected_codehash,
    source_sha256,
)
from prover.circuits.verifier_export import render_verifier_source


def test_the_recorded_codehash_is_the_code_a_deployed_verifier_holds(
    w3: Web3, circuits_built: list[CircuitBuild]
) -> None:
    index = json.loads((GENERATED_DIR / "verifiers.json").read_text())
    build = read_build()
    for circuit in ("withdraw", "slash"):
        compiled = build.verifiers[circuit]
        receipt = deploy(w3, sender=w3.eth.accounts[0], abi=compiled.abi,
                         bytecode=compiled.bytecode, context=circuit)  # fmt: skip
        code = bytes(w3.eth.get_code(Web3.to_checksum_address(str(receipt.contract_address))))
        assert codehash_of(code) == index[circuit]["runtime_codehash"]
        source = (GENERATED_DIR / index[circuit]["file"]).read_text()
        assert source_sha256(source) == index[circuit]["source_sha256"]


def test_anyone_with_the_vk_renders_the_same_source_and_gets_the_same_codehash(
    tmp_path: Path, circuits_built: list[CircuitBuild]
) -> None:
    index = json.loads((GENERATED_DIR / "verifiers.json").read_text())
    for circuit in ("withdraw", "slash"):
        vk = load_vk(KEYS_DIR / circuit)
        setup = read_manifest(KEYS_DIR / circuit).setup
        source = render_verifier_source(circuit, vk, setup)
        assert source == (GENERATED_DIR / index[circuit]["file"]).read_text()
        recorded = expected_codehash(circuit, vk, setup)  # the build's index: no compile
        cache = CodehashCache(tmp_path / circuit)
        compiled = expected_codehash(
            circuit, vk, setup, cache=cache, generated_dir=None, packaged=False
        )
        assert expected_codehash(circuit, vk, setup, generated_dir=None) == compiled  # the package
        assert recorded == compiled == index[circuit]["runtime_codehash"]
        assert [p.name for p in (tmp_path / circuit).iterdir()] == [f"{source_sha256(source)}.json"]


def test_the_cache_is_read_before_compiling_and_the_setup_kind_changes_the_code(
    tmp_path: Path, circuits_built: list[CircuitBuild]
) -> None:
    vk = load_vk(KEYS_DIR / "slash")
    setup = read_manifest(KEYS_DIR / "slash").setup
    cache = CodehashCache(tmp_path)
    real = expected_codehash("slash", vk, setup, cache=cache, generated_dir=None, packaged=False)
    (record,) = tmp_path.iterdir()
    data = json.loads(record.read_text())
    data["runtime_codehash"] = "0x" + "ab" * 32  # a sentinel only a cache read can return
    record.write_text(json.dumps(data))
    assert (
        expected_codehash("slash", vk, setup, cache=cache, generated_dir=None, packaged=False)
        == data["runtime_codehash"]
    )
    other = CEREMONY_SETUP if setup != CEREMONY_SETUP else "dev-single-party"
    assert (
        expected_codehash("slash", vk, other, cache=CodehashCache(tmp_path / "b"), packaged=False)
        != real
    )
