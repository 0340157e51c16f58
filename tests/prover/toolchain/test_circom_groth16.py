"""A small circom circuit compiles with circom2 --O2, proves with groth16py, verifies in snarkjs."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import groth16py
import pytest

from prover.toolchain.paths import node_bin

FIXTURES = Path(__file__).parent / "fixtures"


def _words(blob: bytes) -> list[str]:
    return [str(int.from_bytes(blob[i : i + 32], "big")) for i in range(0, 256, 32)]


def _snarkjs_proof_json(blob: bytes) -> dict[str, object]:
    """The calldata blob (a, b with swapped G2 words, c) in snarkjs's proof.json shape."""
    w = _words(blob)
    return {
        "pi_a": [w[0], w[1], "1"],
        "pi_b": [[w[3], w[2]], [w[5], w[4]], ["1", "0"]],
        "pi_c": [w[6], w[7], "1"],
        "protocol": "groth16",
        "curve": "bn128",
    }


@pytest.fixture(scope="module")
def multiplier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """circom2 (WASI) sees only its working directory: compile inside a scratch folder."""
    work = tmp_path_factory.mktemp("multiplier")
    shutil.copy(FIXTURES / "multiplier.circom", work / "multiplier.circom")
    subprocess.run(
        [node_bin("circom2"), "multiplier.circom", "--O2", "--r1cs", "--wasm", "-o", "."],
        cwd=work,
        check=True,
        capture_output=True,
    )
    assert (work / "multiplier.r1cs").exists()
    return work


def _witness(work: Path, inputs: dict[str, int], name: str) -> Path:
    (work / f"{name}.json").write_text(json.dumps({k: str(v) for k, v in inputs.items()}))
    js = work / "multiplier_js"
    subprocess.run(
        [
            "node",
            js / "generate_witness.js",
            js / "multiplier.wasm",
            f"{name}.json",
            f"{name}.wtns",
        ],
        cwd=work,
        check=True,
        capture_output=True,
    )
    return work / f"{name}.wtns"


def _snarkjs_verifies(work: Path, vk_json: str, blob: bytes, public: list[int]) -> bool:
    (work / "vk.json").write_text(vk_json)
    (work / "proof.json").write_text(json.dumps(_snarkjs_proof_json(blob)))
    (work / "public.json").write_text(json.dumps([str(v) for v in public]))
    out = subprocess.run(
        [node_bin("snarkjs"), "groth16", "verify", "vk.json", "public.json", "proof.json"],
        cwd=work,
        capture_output=True,
        text=True,
    )
    return out.returncode == 0 and "OK!" in out.stdout


def test_a_groth16py_proof_verifies_in_groth16py_and_in_snarkjs(multiplier: Path) -> None:
    pk, vk = groth16py.setup(str(multiplier / "multiplier.r1cs"))
    blob = groth16py.prove_wtns(pk, str(_witness(multiplier, {"a": 3, "b": 11, "c": 33}, "ok")))

    assert len(blob) == 256
    assert groth16py.Verifier(vk).verify(blob, [33])
    assert _snarkjs_verifies(multiplier, vk.to_json(), blob, [33])


def test_a_wrong_public_input_or_tampered_proof_fails_in_both(multiplier: Path) -> None:
    pk, vk = groth16py.setup(str(multiplier / "multiplier.r1cs"))
    blob = groth16py.prove_wtns(pk, str(_witness(multiplier, {"a": 3, "b": 11, "c": 33}, "ok")))
    tampered = blob[:40] + bytes([blob[40] ^ 1]) + blob[41:]

    assert not groth16py.Verifier(vk).verify(blob, [34])
    assert not _snarkjs_verifies(multiplier, vk.to_json(), blob, [34])
    assert not _snarkjs_verifies(multiplier, vk.to_json(), tampered, [33])


def test_the_witness_generator_refuses_inputs_that_break_a_constraint(multiplier: Path) -> None:
    with pytest.raises(subprocess.CalledProcessError):
        _witness(multiplier, {"a": 3, "b": 11, "c": 34}, "bad")
