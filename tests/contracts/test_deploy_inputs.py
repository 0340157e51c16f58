"""Reading the circuit build and the deploy config, before anything touches a chain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prover.chain.deploy.errors import DeployError, MissingBuildError
from prover.chain.deploy.inputs import BuildInputs, load_config, read_build
from prover.circuits.manifest import KeyManifest, write_manifest


def _manifest(circuit: str, setup: str, vk_hash: str = "0x" + "ab" * 32) -> KeyManifest:
    return KeyManifest.model_validate(
        {
            "circuit": circuit,
            "setup": setup,
            "r1cs_sha256": "0" * 64,
            "n_constraints": 1,
            "n_public": 2,
            "vk_hash": vk_hash,
            "files": {},
            "groth16py_version": "0.2.0",
        }
    )


def _inputs(setups: dict[str, str]) -> BuildInputs:
    return BuildInputs(verifiers={}, manifests={c: _manifest(c, s) for c, s in setups.items()})


def test_the_build_counts_as_dev_if_any_circuit_has_dev_keys() -> None:
    ceremony = "multi-party-ceremony"
    assert _inputs({"request": ceremony, "withdraw": ceremony, "slash": ceremony}).setup == ceremony
    for dev_circuit in ("request", "withdraw", "slash"):
        setups = {"request": ceremony, "withdraw": ceremony, "slash": ceremony}
        setups[dev_circuit] = "dev-single-party"
        assert _inputs(setups).setup == "dev-single-party"


def test_vk_hashes_come_from_the_manifests_and_a_malformed_one_is_named() -> None:
    inputs = BuildInputs(
        verifiers={},
        manifests={
            "request": _manifest("request", "dev-single-party", "0x" + "01" * 32),
            "withdraw": _manifest("withdraw", "dev-single-party", "0x" + "02" * 32),
            "slash": _manifest("slash", "dev-single-party", "0x1234"),
        },
    )
    with pytest.raises(MissingBuildError) as info:
        _ = inputs.vk_hashes
    assert info.value.field == "slash.vk_hash"


def test_a_key_file_that_no_longer_matches_its_manifest_is_a_missing_build(tmp_path: Path) -> None:
    for circuit in ("request", "withdraw", "slash"):
        directory = tmp_path / circuit
        directory.mkdir()
        (directory / "verification_key.json").write_text("{}")
        manifest = _manifest(circuit, "dev-single-party").model_copy(
            update={"files": {"verification_key.json": "f" * 64}}
        )
        write_manifest(directory, manifest)
    with pytest.raises(MissingBuildError) as info:
        read_build(tmp_path / "generated", tmp_path)
    assert info.value.field == "request"
    assert "zkcredits circuits build" in str(info.value)


def test_a_config_with_a_bad_value_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "deploy.json"
    with pytest.raises(DeployError) as info:
        load_config(path)
    assert info.value.field == "config"
    path.write_text("{not json")
    with pytest.raises(DeployError) as info:
        load_config(path)
    assert info.value.field == "config"
    path.write_text(json.dumps({"unit": 0}))
    with pytest.raises(DeployError) as info:
        load_config(path)
    assert info.value.field == "unit"


def test_a_config_carries_the_tee_value_gateway_attest_prints_and_a_bad_one_is_named(
    tmp_path: Path,
) -> None:
    config_json = json.loads(json.dumps(_CONFIG))
    image = {"image": "img@sha256:" + "0" * 64, "mrtd": "01" * 48, "rtmr0": "02" * 48,
             "rtmr1": "03" * 48, "rtmr2": "04" * 48, "rtmr3": "00" * 48}  # fmt: skip
    tee = {"gateway_key": {"kind": "onion-v3", "sha256": "0x" + "5a" * 32}, "images": [image]}
    path = tmp_path / "deploy.json"
    path.write_text(json.dumps(config_json))
    assert load_config(path).tee is None  # without it: a provider without attestation
    path.write_text(json.dumps({**config_json, "tee": tee}))
    config = load_config(path)
    assert config.tee is not None and config.tee.images[0].mrtd == b"\x01" * 48
    image["rtmr1"] = "03" * 40
    path.write_text(json.dumps({**config_json, "tee": tee}))
    with pytest.raises(DeployError) as info:
        load_config(path)
    assert info.value.field == "tee.images.0.rtmr1"


_CONFIG = {
    "unit": 10**9,
    "c_max": 1000,
    "penalty_max": 5000,
    "reserve": 5000,
    "min_deposit": 10_000,
    "note_ttl_days": 30,
    "exit_grace_days": 7,
    "exit_delay": 2 * 86400,
    "root_epoch": 600,
    "root_ttl": 3600,
    "server_pk": [1, 2],
    "treasury": "0x" + "77" * 20,
    "price_schedule": {
        "quantum": 10,
        "c_max": 1000,
        "routes": [{"method": "GET", "path": "/v1/data", "kind": "http", "flat": 10}],
    },
    "agent_name": "Test LLM API",
    "agent_description": "zk credits test provider",
    "gateway_url": "https://gateway.test/",
}
