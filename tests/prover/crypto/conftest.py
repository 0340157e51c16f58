"""Cross-language helpers as fixtures: run the Node reference and compute the same ops in Python.

An op is a JSON object `{"op": name, ...}` understood by tests/vectors/crypto_reference.mjs.
`python_result(op)` returns what Python computes for it, in the same JSON shape, so a test can
compare the two with `==`. `eddsa_sign` is special: circomlibjs derives its key with BLAKE-512,
which Python does not have, so its result is checked by verification instead (see the tests).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prover.crypto import (
    TAG_STATE,
    LeanIMT,
    Opening,
    Point,
    RequestFields,
    Signature,
    commit,
    eta,
    in_subgroup,
    leaf,
    mul,
    next_commitment,
    note_id,
    nullifier,
    poseidon,
    rho0,
    service_id,
    share,
    slope,
    verify,
    withdrawal_point,
)
from prover.crypto.errors import MalformedTicketKeyError, NotOnCurveError
from prover.crypto.generators import hash_to_curve
from prover.crypto.request_hash import canonical_request, request_digest
from prover.crypto.ticket_key import TicketKey, check_public_key, verify_signature, x_of_pk

REPO = Path(__file__).resolve().parents[3]
NODE_SCRIPT = REPO / "tests" / "vectors" / "crypto_reference.mjs"
VECTORS = REPO / "tests" / "vectors" / "crypto_vectors.json"


def run_node(ops: list[dict[str, Any]]) -> list[Any]:
    """Evaluate `ops` with the JavaScript reference (one Node process)."""
    node = shutil.which("node")
    assert node is not None, "node must be on PATH"
    proc = subprocess.run(
        [node, str(NODE_SCRIPT), "eval"],
        input=json.dumps({"ops": ops}),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    results: list[Any] = json.loads(proc.stdout)["results"]
    assert len(results) == len(ops)
    return results


def _pt(data: Any) -> Point:
    return Point.from_wire(data)


def _leanimt(op: dict[str, Any]) -> dict[str, Any]:
    values = [int(v) for v in op["leaves"]]
    tree = LeanIMT()
    if op["incremental"]:
        for v in values:
            tree.insert(v)
    elif values:
        tree.insert_many(values)
    proofs = []
    for i in range(tree.size):
        pr = tree.proof(i)
        proofs.append(
            {
                "leaf": str(pr.leaf),
                "root": str(pr.root),
                "index": str(pr.index),
                "siblings": [str(s) for s in pr.siblings[: pr.depth]],
            }
        )
    return {
        "root": str(tree.root),
        "depth": str(tree.depth),
        "size": str(tree.size),
        "proofs": proofs,
    }


def _note(op: dict[str, Any]) -> dict[str, str]:
    k, n, sid = int(op["k"]), int(op["n"]), int(op["service_id"])
    a = slope(k, n, sid)
    ident = note_id(k)
    return {
        "ID": str(ident),
        "leaf": str(leaf(ident, int(op["D"]), int(op["expiry"]))),
        "a": str(a),
        "nullifier": str(nullifier(a)),
        "y": str(share(k, a, int(op["x"]))),
        "x_w": str(withdrawal_point(sid)),
        "eta": str(eta(k, int(op["eta_index"]), sid)),
        "rho0": str(rho0(k, sid)),
    }


def _request(op: dict[str, Any]) -> dict[str, str]:
    req = RequestFields.create(
        method=op["method"],
        path=op["path"],
        body=bytes.fromhex(op["body_hex"]),
        service_id=int(op["service_id"]),
        today=int(op["today"]),
        request_id=bytes.fromhex(op["request_id_hex"]),
    )
    return {"canonical_hex": canonical_request(req).hex(), "h": str(request_digest(req))}


def _ticket_key(op: dict[str, Any]) -> dict[str, Any]:
    """Python's strict decoding of a one-time key, in the reference's shape: a small-order key
    is canonical but refused; a non-canonical one is refused as such."""
    pk = bytes.fromhex(op["pk_hex"])
    try:
        check_public_key(pk)
    except MalformedTicketKeyError as exc:
        small = "small order" in str(exc)
        return {"canonical": small, "small_order": small, "x": None}
    return {"canonical": True, "small_order": False, "x": str(x_of_pk(pk))}


def _ed25519_sign(op: dict[str, Any]) -> dict[str, str]:
    key = TicketKey.from_secret(bytes.fromhex(op["seed_hex"]))
    return {"pk_hex": key.pk.hex(), "sig_hex": key.sign(bytes.fromhex(op["msg_hex"])).hex()}


def _ed25519_verify(op: dict[str, Any]) -> bool:
    try:
        pk, sig = bytes.fromhex(op["pk_hex"]), bytes.fromhex(op["sig_hex"])
        return verify_signature(pk, sig, bytes.fromhex(op["msg_hex"]))
    except MalformedTicketKeyError:
        return False


def _in_curve(data: Any) -> bool:
    try:
        _pt(data)
    except NotOnCurveError:
        return False
    return True


def python_result(op: dict[str, Any]) -> Any:
    """Python's answer to `op`, shaped like the Node reference's."""
    name = op["op"]
    if name == "poseidon":
        return str(poseidon(*(int(v) for v in op["inputs"])))
    if name == "add":
        return (_pt(op["p"]) + _pt(op["q"])).to_wire()
    if name == "mul":
        return mul(_pt(op["p"]), int(op["k"])).to_wire()
    if name == "in_curve":
        return _in_curve(op["p"])
    if name == "in_subgroup":
        return in_subgroup(_pt(op["p"]))
    if name == "hash_to_curve":
        point, ctr = hash_to_curve(op["seed"].encode("ascii"))
        return {"point": point.to_wire(), "ctr": str(ctr)}
    if name == "eddsa_verify":
        return verify(_pt(op["A"]), int(op["msg"]), Signature.from_wire(op["sig"]))
    if name == "leanimt":
        return _leanimt(op)
    if name == "commit":
        fields = {k: int(op[k]) for k in ("n", "C", "P", "ID", "rho")}
        return commit(Opening(**fields)).to_wire()
    if name == "state_msg":
        e = _pt(op["E"])
        return str(poseidon(TAG_STATE, int(op["service_id"]), e.x, e.y))
    if name == "next_commitment":
        return next_commitment(_pt(op["E_anon"]), int(op["cost"]), int(op["p"])).to_wire()
    if name == "note":
        return _note(op)
    if name == "signed_request":
        return _request(op)
    if name == "ticket_key":
        return _ticket_key(op)
    if name == "ed25519_sign":
        return _ed25519_sign(op)
    if name == "ed25519_verify":
        return _ed25519_verify(op)
    if name == "service_id":
        return str(service_id(int(op["chain_id"]), op["address"]))
    raise AssertionError(f"no Python twin for op {name}")


@pytest.fixture(scope="session")
def node_reference() -> Callable[[list[dict[str, Any]]], list[Any]]:
    """`run_node`: evaluate ops with the JavaScript reference."""
    return run_node


@pytest.fixture(scope="session")
def python_twin() -> Callable[[dict[str, Any]], Any]:
    """`python_result`: Python's answer to an op."""
    return python_result
