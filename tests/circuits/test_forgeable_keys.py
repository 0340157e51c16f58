"""Verifying keys with gamma == delta accept forged proofs: refused at parsing, build import and
ceremony install (the audit's "forgeable keys"; docs/protocol-decisions.md, Setup and proving)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner
from zkcredits_testing.sandbox_compile import compile_standalone

from prover.circuits.artifacts import KEYS_DIR, CircuitArtifacts
from prover.circuits.build import BuildDirs, CircuitBuild, build_circuit
from prover.circuits.errors import ArtifactError, ForgeableKeyError
from prover.circuits.keys import import_ceremony_keys
from prover.circuits.manifest import read_manifest
from prover.circuits.proof import Q
from prover.circuits.ptau import ensure_ptau, ptau_path
from prover.circuits.snarkjs import export_verification_key, groth16_verify, run
from prover.circuits.vkey import parse_vk
from prover.cli.circuits import app

FIXTURE = Path(__file__).parent / "fixtures" / "fixture.circom"


G1 = tuple[int, int] | None  # affine point of BN254's G1 (y² = x³ + 3 over F_Q); None = infinity


def _add(p: G1, q: G1) -> G1:
    if p is None:
        return q
    if q is None:
        return p
    (x1, y1), (x2, y2) = p, q
    if x1 == x2 and (y1 + y2) % Q == 0:
        return None
    doubling = p == q
    slope = (3 * x1 * x1 * pow(2 * y1, -1, Q) if doubling else (y2 - y1) * pow(x2 - x1, -1, Q)) % Q
    x3 = (slope * slope - x1 - x2) % Q
    return x3, (slope * (x1 - x3) - y1) % Q


def _mul(p: G1, k: int) -> G1:
    out: G1 = None
    while k:
        if k & 1:
            out = _add(out, p)
        p, k = _add(p, p), k >> 1
    return out


def _forged_proof(vk: dict[str, Any], signals: list[int]) -> dict[str, Any]:
    """A = alpha, B = beta, C = -(IC0 + sum x_i IC_i): verifies whenever gamma == delta."""
    acc: G1 = (int(vk["IC"][0][0]), int(vk["IC"][0][1]))
    for x, ic in zip(signals, vk["IC"][1:], strict=True):
        acc = _add(acc, _mul((int(ic[0]), int(ic[1])), x))
    assert acc is not None
    beta = vk["vk_beta_2"]
    return {
        "pi_a": [*vk["vk_alpha_1"][:2], "1"],
        "pi_b": [beta[0], beta[1], ["1", "0"]],
        "pi_c": [str(acc[0]), str(-acc[1] % Q), "1"],
        "protocol": "groth16",
        "curve": "bn128",
    }


@pytest.fixture(scope="module")
def zkey_without_contribution(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """`snarkjs zkey new` on the fixture circuit, nothing contributed: delta = gamma = g2."""
    root = tmp_path_factory.mktemp("forgeable")
    artifacts = compile_standalone(FIXTURE, root / "circuits" / "fixture")
    record = ensure_ptau(8, ["t"], ptau_dir=root / "ptau", purpose="test")
    zkey = root / "c0.zkey"
    run(["zkey", "new", artifacts.r1cs, ptau_path(record, root / "ptau"), zkey])
    return zkey, artifacts


def test_a_key_with_gamma_equal_to_delta_accepts_a_forged_proof_and_is_refused_on_parsing(
    zkey_without_contribution: tuple[Path, CircuitArtifacts],
) -> None:
    zkey, _ = zkey_without_contribution
    vk = export_verification_key(zkey)
    assert vk["vk_gamma_2"] == vk["vk_delta_2"]
    signals = [123, 456, 789, 42][: vk["nPublic"]]
    forged = _forged_proof(vk, signals)
    assert groth16_verify(vk, [str(s) for s in signals], forged)  # snarkjs accepts the forgery
    with pytest.raises(ForgeableKeyError) as info:
        parse_vk(vk)
    assert info.value.field == "vk_delta_2"
    assert isinstance(info.value, ArtifactError)


def test_a_key_with_distinct_gamma_and_delta_rejects_the_same_forgery(
    circuits_built: list[CircuitBuild],
) -> None:
    vk = json.loads((KEYS_DIR / "slash" / "verification_key.json").read_text())
    assert parse_vk(vk).n_public == 2
    assert not groth16_verify(vk, ["5", "6"], _forged_proof(vk, [5, 6]))
    tampered = {**vk, "vk_delta_2": vk["vk_gamma_2"]}
    assert groth16_verify(tampered, ["5", "6"], _forged_proof(tampered, [5, 6]))
    with pytest.raises(ForgeableKeyError):
        parse_vk(json.dumps(tampered))


def test_importing_such_a_zkey_is_refused_and_leaves_the_installed_keys_alone(
    zkey_without_contribution: tuple[Path, CircuitArtifacts], tmp_path: Path
) -> None:
    zkey, artifacts = zkey_without_contribution
    dirs = BuildDirs(circuits=artifacts.r1cs.parent.parent, keys=tmp_path / "keys",
                     generated=tmp_path / "generated")  # fmt: skip
    before = build_circuit(artifacts, dirs)  # dev keys first
    with pytest.raises(ForgeableKeyError):
        import_ceremony_keys(artifacts, zkey, dirs.keys)
    assert read_manifest(dirs.keys / "fixture") == before.setup.manifest
    result = CliRunner().invoke(
        app,
        ["build", "--circuit", "fixture", "--no-compile", "--zkey", f"fixture={zkey}",
         "--build-dir", str(dirs.circuits), "--keys-dir", str(dirs.keys),
         "--out-dir", str(dirs.generated)],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "gamma == delta" in result.output and "Traceback" not in result.output
    assert read_manifest(dirs.keys / "fixture") == before.setup.manifest
