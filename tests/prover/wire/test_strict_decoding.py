"""Strict decoding of every header (the shared decoder): one value has one encoding. Duplicate
keys, non-canonical base64, and a number or hex value in another spelling are each a
`bad_request` naming the field."""

from __future__ import annotations

import base64
import json

import pytest

from prover.crypto import TicketKey, base8_mul
from prover.wire import ErrorCode, PaymentSignature, WireError, decode_header, encode_header
from prover.wire.payment import REQUEST_SIGNALS

TODAY = 20_500
KEY = TicketKey.from_secret(bytes(range(32)))
PK, SIG = KEY.pk.hex(), KEY.sign(b"any bytes").hex()


def _payment_json(today: str = str(TODAY), request_id: str = '"0x' + "ab" * 16 + '"') -> str:
    e_anon = base8_mul(12345)
    signals = [7] * len(REQUEST_SIGNALS)
    signals[REQUEST_SIGNALS.index("e_anon_x")] = e_anon.x
    signals[REQUEST_SIGNALS.index("e_anon_y")] = e_anon.y
    listed = ",".join(f'"{s}"' for s in signals)
    return (
        '{"x402Version":2,"scheme":"zk-rln-credit","network":"eip155:31337","payload":{'
        f'"proof":"0x{"11" * 256}","public_signals":[{listed}],'
        f'"request_id":{request_id},"today":{today},"pk":"0x{PK}","signature":"0x{SIG}"}}}}'
    )


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _refused(value: str) -> WireError:
    with pytest.raises(WireError) as info:
        decode_header(value, PaymentSignature, "PAYMENT-SIGNATURE")
    assert info.value.code is ErrorCode.BAD_REQUEST
    return info.value


def test_the_canonical_form_decodes_and_re_encodes_to_itself() -> None:
    decoded = decode_header(_b64(_payment_json()), PaymentSignature, "PAYMENT-SIGNATURE")
    assert decoded.payload.today == TODAY
    assert decode_header(encode_header(decoded), PaymentSignature, "X") == decoded


def test_a_duplicated_key_is_refused_naming_it_even_with_equal_values() -> None:
    twice = _payment_json().replace('"today":', f'"today":{TODAY},"today":', 1)
    assert _refused(_b64(twice)).field == "payload.today"
    top = _payment_json().replace('"scheme":', '"scheme":"zk-rln-credit","scheme":', 1)
    assert _refused(_b64(top)).field == "scheme"


@pytest.mark.parametrize(
    "today", [f'"{TODAY}"', f"{TODAY}.0", "2.05e4", f"{TODAY}e0", "true"],
    ids=["string", "float", "exponent", "exponent-zero", "bool"],
)  # fmt: skip
def test_today_in_any_other_spelling_is_refused(today: str) -> None:
    error = _refused(_b64(_payment_json(today=today)))
    assert error.field in (None, "payload.today")
    assert "today" in str(error) or "integer" in str(error)


@pytest.mark.parametrize(
    "request_id",
    ['"0x' + "AB" * 16 + '"', '"0x' + "ab" * 15 + ' a"', '"0X' + "ab" * 16 + '"'],
    ids=["upper-case", "whitespace", "upper-prefix"],
)
def test_a_hex_field_in_another_spelling_is_refused(request_id: str) -> None:
    assert _refused(_b64(_payment_json(request_id=request_id))).field == "payload.request_id"


def test_a_signal_in_another_spelling_is_refused_naming_it() -> None:
    hexed = _payment_json().replace('"7"', '"0x7"', 1)
    assert _refused(_b64(hexed)).field == "payload.public_signals.0"
    padded = _payment_json().replace('"7"', '"07"', 1)
    assert _refused(_b64(padded)).field == "payload.public_signals.0"


def test_non_canonical_base64_is_refused() -> None:
    canonical = _b64(_payment_json())
    raw = base64.b64decode(canonical)
    assert len(raw) % 3  # the encoding ends in padding, so its last digit has spare bits
    unpadded = canonical.rstrip("=")
    last = canonical.rstrip("=")[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    bumped = unpadded[:-1] + alphabet[alphabet.index(last) + 1] + canonical[len(unpadded) :]
    assert base64.b64decode(bumped) == raw  # decodes to the same bytes: a second spelling
    for value in (bumped, unpadded, canonical + "\n", " " + canonical):
        error = _refused(value)
        assert "base64" in str(error)


def test_nan_and_bare_constants_are_refused() -> None:
    _refused(_b64(_payment_json(today="NaN")))
    _refused(_b64(json.dumps([1, 2])))
