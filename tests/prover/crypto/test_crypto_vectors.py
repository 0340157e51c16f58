"""Python agrees with the committed circomlibjs / zk-kit / ethers vectors (tests/vectors)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prover.crypto import L, Point, Signature, public_key, verify

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "crypto_vectors.json"
_DATA: dict[str, Any] = json.loads(VECTORS.read_text())
_PAIRS = list(zip(_DATA["ops"], _DATA["results"], strict=True))
_CHECKED = [(op, res) for op, res in _PAIRS if op["op"] != "eddsa_sign"]
_SIGNED = [(op, res) for op, res in _PAIRS if op["op"] == "eddsa_sign"]


def test_the_vector_file_covers_every_required_kind_of_value() -> None:
    kinds = {op["op"] for op, _ in _PAIRS}
    assert {"poseidon", "add", "mul", "eddsa_sign", "leanimt", "hash_to_curve"} <= kinds
    arities = {len(op["inputs"]) for op, _ in _PAIRS if op["op"] == "poseidon"}
    assert arities == set(range(1, 13))
    sizes = {len(op["leaves"]) for op, _ in _PAIRS if op["op"] == "leanimt"}
    assert sizes == {1, 2, 3, 5, 8, 13, 100}


@pytest.mark.parametrize(("op", "expected"), _CHECKED, ids=[op["op"] for op, _ in _CHECKED])
def test_python_reproduces_each_committed_reference_value(
    op: dict[str, Any], expected: Any, python_twin: Callable[[dict[str, Any]], Any]
) -> None:
    assert python_twin(op) == expected


@pytest.mark.parametrize(("op", "res"), _SIGNED, ids=[str(i) for i in range(len(_SIGNED))])
def test_circomlibjs_signatures_verify_in_python_and_tampering_breaks_them(
    op: dict[str, Any], res: dict[str, Any]
) -> None:
    pk = Point.from_wire(res["A"])
    sig = Signature.from_wire(res["sig"])
    msg = int(op["msg"])
    # circomlibjs's key is (s >> 3)·Base8 for its pruned BLAKE-512 scalar s.
    assert public_key(int(res["scalar"]) % L) == pk
    assert verify(pk, msg, sig)
    assert not verify(pk, (msg + 1) % (1 << 253), sig)
    assert not verify(pk, msg, Signature(R8=sig.R8, S=(sig.S + 1) % L))
    assert not verify(pk, msg, Signature(R8=sig.R8 + pk, S=sig.S))
    assert not verify(sig.R8, msg, sig)


@pytest.mark.slow
def test_the_committed_file_is_exactly_what_the_reference_script_generates() -> None:
    node = shutil.which("node")
    assert node is not None
    script = VECTORS.parent / "crypto_reference.mjs"
    out = subprocess.run(
        [node, str(script), "generate"],
        capture_output=True,
        text=True,
        cwd=VECTORS.parents[2],
        timeout=300,
        check=True,
    ).stdout
    assert json.loads(out) == _DATA
