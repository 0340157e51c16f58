"""Hostile payments at the app: malformed headers, random and bit-flipped proofs, non-canonical,
reordered and swapped signals, bodies changed after proving. Zero accepted, zero 500s."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gateway_harness import CHAT, Gateway, Payments, make_gateway
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prover.circuits.prover import CircuitKeys
from prover.crypto.field import P
from prover.wire.errors import ErrorCode

pytestmark = pytest.mark.slow

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
REFUSALS = {400, 402, 409, 429}


@pytest.fixture(scope="module")
def hostile(
    request_keys: CircuitKeys, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Gateway]:
    cfg_db = Path(tmp_path_factory.mktemp("fuzz")) / "store.db"
    from gateway_world import settings as gw_settings

    with make_gateway(request_keys, cfg_db, gw_settings(unpaid_burst=10**6)) as gw:
        yield gw


def _encode(raw: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(raw, separators=(",", ":")).encode()).decode()


def _raw(payments: Payments) -> dict[str, Any]:
    return json.loads(base64.b64decode(payments.chat.header))  # type: ignore[no-any-return]


def _send(gw: Gateway, header: str, body: bytes) -> None:
    resp = gw.client.post(CHAT, content=body, headers={"PAYMENT-SIGNATURE": header})
    assert resp.status_code in REFUSALS, (resp.status_code, resp.text)
    error = resp.json()["error"]
    assert ErrorCode(error["code"])
    assert "PAYMENT-RESPONSE" not in resp.headers
    stats = gw.store.stats()
    assert stats.calls_served == 0 and stats.calls_in_progress == 0
    assert gw.upstream.seen == []


@FUZZ
@given(
    header=st.one_of(
        st.text(max_size=300), st.binary(max_size=300).map(lambda b: base64.b64encode(b).decode())
    )
)
def test_malformed_payment_headers_are_refused_with_the_error_shape(
    hostile: Gateway, payments: Payments, header: str
) -> None:
    if any(c in header for c in "\r\n\x00") or not header.isascii():
        header = base64.b64encode(header.encode("utf-8", "replace")).decode()
    _send(hostile, header, payments.chat.body)


@FUZZ
@given(proof=st.binary(min_size=256, max_size=256))
def test_random_proof_bytes_never_pay(hostile: Gateway, payments: Payments, proof: bytes) -> None:
    raw = _raw(payments)
    raw["payload"]["proof"] = "0x" + proof.hex()
    _send(hostile, _encode(raw), payments.chat.body)


@FUZZ
@given(bit=st.integers(min_value=0, max_value=256 * 8 - 1))
def test_a_bit_flip_anywhere_in_a_valid_proof_never_pays(
    hostile: Gateway, payments: Payments, bit: int
) -> None:
    raw = _raw(payments)
    proof = bytearray(bytes.fromhex(raw["payload"]["proof"][2:]))
    proof[bit // 8] ^= 1 << (bit % 8)
    raw["payload"]["proof"] = "0x" + proof.hex()
    _send(hostile, _encode(raw), payments.chat.body)


@FUZZ
@given(
    index=st.integers(min_value=0, max_value=11),
    change=st.sampled_from(["plus_p", "plus_one", "zero", "leading_zero", "hex", "number"]),
)
def test_non_canonical_or_altered_signals_never_pay(
    hostile: Gateway, payments: Payments, index: int, change: str
) -> None:
    raw = _raw(payments)
    signals: list[Any] = raw["payload"]["public_signals"]
    value = int(signals[index])
    signals[index] = {
        "plus_p": str(value + P),
        "plus_one": str((value + 1) % P),
        "zero": "0" if value else "1",
        "leading_zero": "0" + str(value),
        "hex": hex(value),
        "number": value,
    }[change]
    _send(hostile, _encode(raw), payments.chat.body)


@FUZZ
@given(order=st.permutations(list(range(12))))
def test_signals_in_another_order_never_pay(
    hostile: Gateway, payments: Payments, order: list[int]
) -> None:
    raw = _raw(payments)
    signals = raw["payload"]["public_signals"]
    reordered = [signals[i] for i in order]
    if reordered == signals:
        return
    raw["payload"]["public_signals"] = reordered
    _send(hostile, _encode(raw), payments.chat.body)


def test_the_shares_of_two_real_payments_swapped_never_pay(
    hostile: Gateway, payments: Payments
) -> None:
    a, b = _raw(payments), json.loads(base64.b64decode(payments.spare.header))
    for names in ((0,), (1,), (0, 1), (2, 3), (0, 1, 2, 3)):
        raw = json.loads(json.dumps(a))
        for i in names:
            raw["payload"]["public_signals"][i] = b["payload"]["public_signals"][i]
        _send(hostile, _encode(raw), payments.chat.body)
    raw = json.loads(json.dumps(a))
    raw["payload"]["proof"] = b["payload"]["proof"]  # another note's valid proof
    _send(hostile, _encode(raw), payments.chat.body)


@FUZZ
@given(body=st.binary(max_size=200))
def test_a_body_changed_after_proving_never_pays(
    hostile: Gateway, payments: Payments, body: bytes
) -> None:
    if body == payments.chat.body:
        return
    _send(hostile, payments.chat.header, body)


@FUZZ
@given(request_id=st.binary(min_size=16, max_size=16), day_shift=st.integers(-3, 3))
def test_another_request_id_or_day_never_pays(
    hostile: Gateway, payments: Payments, request_id: bytes, day_shift: int
) -> None:
    raw = _raw(payments)
    if request_id == bytes.fromhex(raw["payload"]["request_id"][2:]) and day_shift == 0:
        return
    raw["payload"]["request_id"] = "0x" + request_id.hex()
    raw["payload"]["today"] += day_shift
    _send(hostile, _encode(raw), payments.chat.body)
