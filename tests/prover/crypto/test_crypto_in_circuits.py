"""The Python twin fits the real circom templates it mirrors (compiled and proved with groth16py).

- LeanIMT proofs are exactly what zk-kit's `BinaryMerkleRoot(20)` consumes: the proved output is
  the Python root (and no other).
- Python EdDSA-Poseidon signatures satisfy circomlib's `EdDSAPoseidonVerifier`; tampered ones do
  not. groth16py returns a non-verifying proof for an unsatisfied witness, so the assertions are
  on verification.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import groth16py
import pytest

from prover.crypto import BASE8, L, LeanIMT, generate_secret_key, poseidon, public_key, sign

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[3]
ZK_KIT = REPO / "node_modules" / "@zk-kit" / "circuits" / "circom"
CIRCOMLIB = REPO / "node_modules" / "circomlib" / "circuits"


def _setup(tmp: Path, name: str, source: str, libs: list[Path]) -> tuple[Any, Any]:
    path = tmp / f"{name}.circom"
    path.write_text(source)
    pk, vk = groth16py.setup_circom(str(path), [str(p) for p in libs])
    return pk, groth16py.Verifier(vk)


@pytest.fixture(scope="module")
def merkle_circuit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    src = 'pragma circom 2.1.5;\ninclude "binary-merkle-root.circom";\n'
    src += "component main = BinaryMerkleRoot(20);\n"
    yield _setup(tmp_path_factory.mktemp("bmr"), "bmr", src, [ZK_KIT, CIRCOMLIB])


@pytest.fixture(scope="module")
def eddsa_circuit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    src = 'pragma circom 2.1.5;\ninclude "eddsaposeidon.circom";\n'
    src += "component main = EdDSAPoseidonVerifier();\n"
    yield _setup(tmp_path_factory.mktemp("eddsa"), "eddsa", src, [CIRCOMLIB])


@pytest.mark.parametrize(("size", "index"), [(1, 0), (2, 1), (3, 2), (5, 4), (13, 6), (100, 99)])
def test_binary_merkle_root_outputs_the_python_root_for_python_proofs(
    merkle_circuit: tuple[Any, Any], size: int, index: int
) -> None:
    pk, verifier = merkle_circuit
    tree = LeanIMT([poseidon(size, i) for i in range(size)])
    pr = tree.proof(index)
    proof = groth16py.prove(
        pk,
        {
            "leaf": pr.leaf,
            "depth": pr.depth,
            "indices": list(pr.indices),
            "siblings": list(pr.siblings),
        },
    )
    assert verifier.verify(proof, [tree.root])
    assert not verifier.verify(proof, [(tree.root + 1) % L])


def _eddsa_inputs(enabled: int, pk: Any, s: int, r8: Any, msg: int) -> dict[str, object]:
    return {"enabled": enabled, "Ax": pk.x, "Ay": pk.y, "S": s, "R8x": r8.x, "R8y": r8.y, "M": msg}


def test_circomlib_eddsa_verifier_accepts_python_signatures_and_rejects_tampering(
    eddsa_circuit: tuple[Any, Any],
) -> None:
    pk_circ, verifier = eddsa_circuit
    a = generate_secret_key()
    pk = public_key(a)
    msg = poseidon(5, 1, 2, 3)
    sig = sign(a, msg)
    good = groth16py.prove(pk_circ, _eddsa_inputs(1, pk, sig.S, sig.R8, msg))
    assert verifier.verify(good, [])
    for bad in (
        _eddsa_inputs(1, pk, sig.S, sig.R8, msg + 1),
        _eddsa_inputs(1, pk, (sig.S + 1) % L, sig.R8, msg),
        _eddsa_inputs(1, pk, sig.S + L, sig.R8, msg),  # same point, but S >= l
        _eddsa_inputs(1, pk, sig.S, sig.R8 + BASE8, msg),
    ):
        assert not verifier.verify(groth16py.prove(pk_circ, bad), [])
