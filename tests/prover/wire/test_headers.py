"""Payment headers round-trip exactly; hostile header values are bad requests naming the field."""

from __future__ import annotations

import base64
import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prover.crypto import BASE8, P, TicketKey, base8_mul, generate_secret_key, public_key, sign
from prover.crypto.ticket_key import ED25519_L, ED25519_Q
from prover.wire import (
    MAX_HEADER_BYTES,
    ErrorCode,
    PaymentResponse,
    PaymentSignature,
    WireError,
    decode_header,
    encode_header,
    http_status,
)
from prover.wire.payment import REQUEST_SIGNALS

field = st.integers(min_value=0, max_value=P - 1)


KEY = TicketKey.from_secret(bytes(range(32)))
SIG = KEY.sign(b"a canonical request")


def _payment(signals: list[int], proof: bytes, request_id: bytes, today: int) -> dict[str, object]:
    return {
        "x402Version": 2,
        "scheme": "zk-rln-credit",
        "network": "eip155:31337",
        "payload": {
            "proof": "0x" + proof.hex(),
            "public_signals": [str(s) for s in signals],
            "request_id": "0x" + request_id.hex(),
            "today": today,
            "pk": "0x" + KEY.pk.hex(),
            "signature": "0x" + SIG.hex(),
        },
    }


def _b64(data: object) -> str:
    return base64.b64encode(json.dumps(data).encode()).decode()


def _valid_signals() -> list[int]:
    e_anon = base8_mul(12345)
    signals = [7] * len(REQUEST_SIGNALS)
    signals[REQUEST_SIGNALS.index("e_anon_x")] = e_anon.x
    signals[REQUEST_SIGNALS.index("e_anon_y")] = e_anon.y
    return signals


@settings(max_examples=50)
@given(
    signals=st.lists(field, min_size=12, max_size=12),
    proof=st.binary(min_size=256, max_size=256),
    request_id=st.binary(min_size=16, max_size=16),
    today=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_a_payment_signature_round_trips_through_its_header(
    signals: list[int], proof: bytes, request_id: bytes, today: int
) -> None:
    header = _b64(_payment(signals, proof, request_id, today))
    decoded = decode_header(header, PaymentSignature, "PAYMENT-SIGNATURE")
    assert list(decoded.payload.public_signals) == signals
    assert decoded.payload.proof == proof
    assert decoded.payload.nullifier == signals[1]
    assert decoded.payload.x == signals[6]
    assert (decoded.payload.pk, decoded.payload.signature) == (KEY.pk, SIG)
    again = decode_header(encode_header(decoded), PaymentSignature, "PAYMENT-SIGNATURE")
    assert again == decoded


def test_named_signal_accessors_follow_the_circuit_order() -> None:
    signals = list(range(100, 112))
    payload = decode_header(
        _b64(_payment(signals, bytes(256), bytes(16), 1)), PaymentSignature, "H"
    ).payload
    assert [payload.signal(name) for name in REQUEST_SIGNALS] == signals
    assert (payload.y, payload.nullifier, payload.x) == (100, 101, 106)


def test_an_e_anon_off_the_curve_is_a_bad_request() -> None:
    payload = decode_header(
        _b64(_payment(list(range(12)), bytes(256), bytes(16), 1)), PaymentSignature, "H"
    ).payload
    with pytest.raises(WireError) as err:
        _ = payload.e_anon
    assert err.value.code is ErrorCode.BAD_REQUEST
    good = decode_header(
        _b64(_payment(_valid_signals(), bytes(256), bytes(16), 1)), PaymentSignature, "H"
    ).payload
    assert good.e_anon == base8_mul(12345)


def _mutations() -> list[tuple[str, object]]:
    base = _payment(_valid_signals(), bytes(256), bytes(16), 20000)

    def mutate(path: list[str | int], value: object) -> dict[str, object]:
        doc = json.loads(json.dumps(base))
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return doc

    return [
        ("signal equal to p", mutate(["payload", "public_signals", 1], str(P))),
        ("signal as a JSON number", mutate(["payload", "public_signals", 1], 5)),
        ("signal with a leading zero", mutate(["payload", "public_signals", 1], "05")),
        ("negative signal", mutate(["payload", "public_signals", 1], "-1")),
        ("hex signal", mutate(["payload", "public_signals", 1], "0x05")),
        ("eleven signals", mutate(["payload", "public_signals"], ["1"] * 11)),
        ("short proof", mutate(["payload", "proof"], "0x" + "00" * 255)),
        ("proof without 0x", mutate(["payload", "proof"], "00" * 256)),
        ("proof not hex", mutate(["payload", "proof"], "0x" + "zz" * 256)),
        ("request id of 15 bytes", mutate(["payload", "request_id"], "0x" + "00" * 15)),
        ("today above 2^32", mutate(["payload", "today"], 2**32)),
        ("unknown scheme", mutate(["scheme"], "exact")),
        ("x402 version 1", mutate(["x402Version"], 1)),
        ("extra key", mutate(["payload", "tip"], "1")),
        ("network not eip155", mutate(["network"], "solana:1")),
        ("pk missing", mutate(["payload", "pk"], None)),
        ("pk of 31 bytes", mutate(["payload", "pk"], "0x" + KEY.pk.hex()[2:])),
        ("pk in upper-case hex", mutate(["payload", "pk"], "0x" + KEY.pk.hex().upper())),
        ("pk without 0x", mutate(["payload", "pk"], KEY.pk.hex())),
        ("pk as y + q", mutate(["payload", "pk"], _le(ED25519_Q + 3))),
        ("pk of small order", mutate(["payload", "pk"], _le(1))),
        ("pk off the curve", mutate(["payload", "pk"], _le(2))),
        ("signature of 63 bytes", mutate(["payload", "signature"], "0x" + SIG.hex()[2:])),
        ("signature with S >= L", mutate(["payload", "signature"], _high_s())),
        ("signature in upper case", mutate(["payload", "signature"], "0x" + SIG.hex().upper())),
    ]


def _le(y: int) -> str:
    return "0x" + y.to_bytes(32, "little").hex()


def _high_s() -> str:
    s = int.from_bytes(SIG[32:], "little") + ED25519_L
    return "0x" + (SIG[:32] + s.to_bytes(32, "little")).hex()


@pytest.mark.parametrize(("what", "doc"), _mutations(), ids=[m[0] for m in _mutations()])
def test_a_malformed_payment_is_a_bad_request(what: str, doc: object) -> None:
    with pytest.raises(WireError) as err:
        decode_header(_b64(doc), PaymentSignature, "PAYMENT-SIGNATURE")
    assert err.value.code is ErrorCode.BAD_REQUEST
    assert err.value.status == 400
    assert "PAYMENT-SIGNATURE" in str(err.value)
    if what.startswith(("pk", "signature")):
        assert err.value.field == "payload." + what.split()[0]


@pytest.mark.parametrize(
    "value",
    [
        "not base64 at all!",
        base64.b64encode(b"\xff\xfe not json").decode(),
        base64.b64encode(b"[1, 2, 3]").decode(),
        "",
        "A" * (MAX_HEADER_BYTES + 4),
        "é",
    ],
    ids=["not-base64", "not-json", "json-array", "empty", "oversize", "non-ascii"],
)
def test_garbage_header_values_are_bad_requests(value: str) -> None:
    with pytest.raises(WireError) as err:
        decode_header(value, PaymentSignature, "PAYMENT-SIGNATURE")
    assert err.value.code is ErrorCode.BAD_REQUEST


def test_a_payment_response_round_trips_and_checks_its_points() -> None:
    secret = generate_secret_key()
    e_new = base8_mul(int.from_bytes(os.urandom(16), "big"))
    sig = sign(secret, 99, public_key(secret))
    response = PaymentResponse(
        nullifier=5,
        cost=30,
        p=0,
        evidence_hash=bytes(32),
        E_new=e_new,
        sigma_new=sig,
    )
    decoded = decode_header(encode_header(response), PaymentResponse, "PAYMENT-RESPONSE")
    assert decoded == response
    wire = json.loads(base64.b64decode(encode_header(response)))
    assert wire["E_new"] == [str(e_new.x), str(e_new.y)]
    wire["E_new"] = [str(BASE8.x), str((BASE8.y + 1) % P)]
    with pytest.raises(WireError, match="E_new"):
        decode_header(_b64(wire), PaymentResponse, "PAYMENT-RESPONSE")
    wire["E_new"] = [str(e_new.x), str(e_new.y)]
    wire["sigma_new"]["S"] = str(P - 1)  # S >= l
    with pytest.raises(WireError, match="sigma_new"):
        decode_header(_b64(wire), PaymentResponse, "PAYMENT-RESPONSE")


def test_every_error_code_has_one_http_status_and_one_body_shape() -> None:
    for code in ErrorCode:
        body = WireError(code, "why").body().model_dump(mode="json")
        assert body == {"error": {"code": code.value, "message": "why", "field": None}}
        marked = WireError(code, "why", field="f").before_reserve().body().model_dump(mode="json")
        assert marked == {
            "error": {"code": code.value, "message": "why", "field": "f", "ticket": "unreserved"}
        }
        assert 400 <= http_status(code) < 600
    assert http_status(ErrorCode.STALE_ROOT) == 402
    assert http_status(ErrorCode.UPSTREAM_ERROR) == 502


def test_only_unreserved_is_a_ticket_state_on_the_wire() -> None:
    from prover.wire import ErrorBody

    doc = {"error": {"code": "bad_request", "message": "m", "field": None, "ticket": "reserved"}}
    with pytest.raises(ValueError, match="unreserved"):
        ErrorBody.model_validate(doc)
    doc["error"]["ticket"] = "unreserved"
    assert ErrorBody.model_validate(doc).error.ticket == "unreserved"
