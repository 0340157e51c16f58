"""Python and the JavaScript reference agree on fresh inputs chosen by Python for this run.

One Node process evaluates every op (circomlibjs, @zk-kit/lean-imt, ethers); Python computes the
same ops. EdDSA is also checked the other way round: Python signs, circomlibjs verifies.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest

from prover.crypto import (
    BASE8,
    G_H,
    IDENTITY,
    L,
    P,
    Point,
    Signature,
    base8_mul,
    generate_secret_key,
    mul,
    public_key,
    sign,
)
from prover.crypto.ticket_key import ED25519_L, SMALL_ORDER_Y, TicketKey


def _rand() -> str:
    return str(secrets.randbelow(P))


def _point() -> Point:
    return base8_mul(secrets.randbelow(L))


def _fresh_ops() -> list[dict[str, Any]]:
    ops: list[dict[str, Any]] = []
    for arity in range(1, 13):
        ops.append({"op": "poseidon", "inputs": [_rand() for _ in range(arity)]})
    ops.append(
        {"op": "poseidon", "inputs": [str(P - 1 - secrets.randbelow(1000)) for _ in range(5)]}
    )
    a, b = _point(), _point()
    ops.append({"op": "add", "p": a.to_wire(), "q": b.to_wire()})
    ops.append({"op": "add", "p": a.to_wire(), "q": (-a).to_wire()})
    ops.append({"op": "mul", "p": a.to_wire(), "k": str(secrets.randbelow(L))})
    ops.append({"op": "mul", "p": (a + Point(0, P - 1)).to_wire(), "k": str(secrets.randbelow(P))})
    ops.append({"op": "in_subgroup", "p": (a + Point(0, P - 1)).to_wire()})
    ops.append({"op": "in_subgroup", "p": a.to_wire()})
    ops.append({"op": "in_curve", "p": [str(a.x), str((a.y + 1) % P)]})
    ops.append({"op": "in_curve", "p": b.to_wire()})
    size = 1 + secrets.randbelow(70)
    leaves = [str(1 + secrets.randbelow(P - 1)) for _ in range(size)]
    ops.append({"op": "leanimt", "leaves": leaves, "incremental": True})
    ops.append({"op": "leanimt", "leaves": leaves, "incremental": False})
    opening = {
        "n": str(secrets.randbelow(1 << 32)),
        "C": str(secrets.randbelow(1 << 64)),
        "P": str(secrets.randbelow(1 << 64)),
        "ID": _rand(),
        "rho": str(secrets.randbelow(L)),
    }
    ops.append({"op": "commit", **opening})
    ops.append(
        {
            "op": "next_commitment",
            "E_anon": mul(G_H, secrets.randbelow(L)).to_wire(),
            "cost": str(secrets.randbelow(1 << 64)),
            "p": str(secrets.randbelow(1 << 64)),
        }
    )
    ops.append({"op": "state_msg", "service_id": _rand(), "E": a.to_wire()})
    ops.append(
        {
            "op": "note",
            "k": _rand(),
            "n": str(secrets.randbelow(1 << 32)),
            "service_id": _rand(),
            "D": str(secrets.randbelow(1 << 64)),
            "expiry": str(secrets.randbelow(1 << 64)),
            "x": _rand(),
            "eta_index": str(secrets.randbelow(1 << 32)),
        }
    )
    ops.append(
        {
            "op": "signed_request",
            "method": "POST",
            "path": "/v1/x?q=" + secrets.token_hex(4),
            "body_hex": secrets.token_bytes(secrets.randbelow(200)).hex(),
            "service_id": _rand(),
            "today": str(secrets.randbelow(1 << 64)),
            "request_id_hex": secrets.token_hex(16),
        }
    )
    ops.extend(_ticket_key_ops())
    address = "0x" + secrets.token_hex(20)
    ops.append(
        {"op": "service_id", "chain_id": str(secrets.randbelow(1 << 256)), "address": address}
    )
    return ops


Q = 2**255 - 19


def _le(y: int, sign: int = 0) -> str:
    return (y | sign << 255).to_bytes(32, "little").hex()


def _ticket_key_ops() -> list[dict[str, Any]]:
    """Fresh one-time keys and the hostile encodings strict decoding must refuse: every small-
    order point (with both sign bits), second encodings (y + q), random bytes (mostly off the
    curve); fresh signatures with their tampered twins, judged by @noble/curves (zip215 off)."""
    ops: list[dict[str, Any]] = []
    for _ in range(3):
        seed = secrets.token_hex(32)
        msg = secrets.token_bytes(1 + secrets.randbelow(300)).hex()
        ops.append({"op": "ed25519_sign", "seed_hex": seed, "msg_hex": msg})
        key = TicketKey.from_secret(bytes.fromhex(seed))
        ops.append({"op": "ticket_key", "pk_hex": key.pk.hex()})
        sig = key.sign(bytes.fromhex(msg))
        s_int = int.from_bytes(sig[32:], "little")
        tampered = [
            sig,
            sig[:32] + (s_int + ED25519_L).to_bytes(32, "little"),
            bytes([sig[0] ^ 1]) + sig[1:],
            sig[:40] + bytes([sig[40] ^ 0x80]) + sig[41:],
        ]
        for candidate in tampered:
            ops.append(
                {
                    "op": "ed25519_verify",
                    "pk_hex": key.pk.hex(),
                    "sig_hex": candidate.hex(),
                    "msg_hex": msg,
                }
            )
        ops.append(
            {
                "op": "ed25519_verify",
                "pk_hex": key.pk.hex(),
                "sig_hex": sig.hex(),
                "msg_hex": msg + "00",
            }
        )
    for y in sorted(SMALL_ORDER_Y):
        for bit in (0, 1):
            ops.append({"op": "ticket_key", "pk_hex": _le(y, bit)})
    for y in range(19):  # y + q < 2^255: a second encoding of a small y
        ops.append({"op": "ticket_key", "pk_hex": _le(y + Q)})
    for _ in range(8):
        ops.append({"op": "ticket_key", "pk_hex": secrets.token_hex(32)})
    return ops


def _python_signatures() -> list[dict[str, Any]]:
    """Signatures made by Python, each with a tampered twin; the `ok` field is Python's verdict."""
    sk = generate_secret_key()
    pk = public_key(sk)
    msg = secrets.randbelow(P)
    sig = sign(sk, msg, pk)
    wire = sig.to_wire()
    cases = [
        (msg, pk, sig.to_wire(), True),
        ((msg + 1) % P, pk, wire, False),
        (msg, pk, Signature(sig.R8, (sig.S + 1) % L).to_wire(), False),
        (msg, pk, Signature(sig.R8 + BASE8, sig.S).to_wire(), False),
        (msg, public_key(generate_secret_key()), wire, False),
        # S + L is the same point but out of range: both sides must refuse it.
        (msg, pk, {"R8": wire["R8"], "S": str(sig.S + L)}, False),
        (msg, IDENTITY, wire, False),
    ]
    return [
        {"op": "eddsa_verify", "msg": str(m), "A": a.to_wire(), "sig": s, "ok": ok}
        for m, a, s, ok in cases
    ]


@pytest.fixture(scope="module")
def live(
    node_reference: Callable[[list[dict[str, Any]]], list[Any]],
) -> tuple[list[dict[str, Any]], list[Any]]:
    ops = _fresh_ops() + _python_signatures()
    return ops, node_reference(ops)


def test_python_matches_the_javascript_reference_on_fresh_inputs(
    live: tuple[list[dict[str, Any]], list[Any]],
    python_twin: Callable[[dict[str, Any]], Any],
) -> None:
    ops, results = live
    compared = 0
    for op, expected in zip(ops, results, strict=True):
        if op["op"] == "eddsa_verify":
            continue
        assert python_twin(op) == expected, op
        compared += 1
    assert compared >= 25


def test_circomlibjs_accepts_python_signatures_and_rejects_tampered_ones(
    live: tuple[list[dict[str, Any]], list[Any]],
) -> None:
    ops, results = live
    verdicts = [
        (op["ok"], res) for op, res in zip(ops, results, strict=True) if op["op"] == "eddsa_verify"
    ]
    assert len(verdicts) == 7
    assert [res for _, res in verdicts] == [ok for ok, _ in verdicts]
    assert verdicts[0] == (True, True)


def test_noble_and_python_agree_that_only_untampered_ticket_signatures_and_keys_pass(
    live: tuple[list[dict[str, Any]], list[Any]],
) -> None:
    ops, results = live
    verdicts = [res for op, res in zip(ops, results, strict=True) if op["op"] == "ed25519_verify"]
    assert verdicts == [True, False, False, False, False] * 3
    keys = [(op, res) for op, res in zip(ops, results, strict=True) if op["op"] == "ticket_key"]
    small = [res for op, res in keys if op["pk_hex"] in _SMALL_ENCODINGS]
    assert small and all(res["x"] is None for res in small)
    fresh = [res for _, res in keys[:3]]
    assert all(res["canonical"] and not res["small_order"] and res["x"] for res in fresh)


_SMALL_ENCODINGS = {_le(y, s) for y in SMALL_ORDER_Y for s in (0, 1)}
