"""The canonical request (D5) a ticket key signs: exact bytes, every field, strict fields."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from prover.crypto import (
    EncodingError,
    MalformedRequestError,
    P,
    RequestFields,
    canonical_request,
    keccak256,
    parse_request_id,
    request_digest,
)

BASE: dict[str, Any] = {
    "method": "POST",
    "path": "/v1/chat/completions?stream=true",
    "body": b'{"model":"m"}',
    "service_id": 123456789,
    "today": 20416,
    "request_id": bytes(range(16)),
}


def _req(**changes: Any) -> RequestFields:
    return RequestFields.create(**{**BASE, **changes})


def test_canonical_bytes_follow_the_d5_layout() -> None:
    expected = (
        b"zkcredits/signed-request/v1"
        + (4).to_bytes(4, "big") + b"POST"
        + (32).to_bytes(4, "big") + b"/v1/chat/completions?stream=true"
        + (13).to_bytes(4, "big") + b'{"model":"m"}'
        + (123456789).to_bytes(32, "big")
        + (20416).to_bytes(8, "big")
        + bytes(range(16))
    )  # fmt: skip
    req = _req()
    assert canonical_request(req) == expected
    h = int.from_bytes(keccak256(expected), "big") % P
    assert request_digest(req) == h


@pytest.mark.parametrize(
    "change",
    [
        {"method": "GET"},
        {"path": "/v1/chat/completions?stream=false"},
        {"body": b'{"model":"n"}'},
        {"body": b""},
        {"service_id": 123456790},
        {"today": 20417},
        {"request_id": bytes(15) + b"\x01"},
    ],
)
def test_changing_any_field_changes_the_signed_bytes_and_the_digest(
    change: dict[str, Any],
) -> None:
    assert canonical_request(_req(**change)) != canonical_request(_req())
    assert request_digest(_req(**change)) != request_digest(_req())


def test_length_prefixes_prevent_moving_bytes_between_fields() -> None:
    a = _req(path="/ab", body=b"c")
    b = _req(path="/a", body=b"bc")
    assert canonical_request(a) != canonical_request(b)
    assert request_digest(a) != request_digest(b)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("method", "post"),
        ("method", ""),
        ("method", "GET "),
        ("path", "v1/x"),
        ("path", "/a b"),
        ("path", "/é"),
        ("path", ""),
        ("body", "text"),
        ("service_id", P),
        ("service_id", -1),
        ("today", -1),
        ("today", 2**64),
        ("today", True),
        ("today", "20416"),
        ("request_id", bytes(15)),
        ("request_id", bytes(17)),
        ("request_id", "00" * 16),
    ],
)
def test_malformed_fields_are_refused_with_an_error_naming_them(field: str, value: Any) -> None:
    with pytest.raises(MalformedRequestError) as info:
        _req(**{field: value})
    assert info.value.field == field


def test_unknown_fields_are_refused_by_the_model() -> None:
    with pytest.raises(ValidationError, match="extra"):
        RequestFields.model_validate({**BASE, "extra": 1})


def test_request_ids_parse_only_from_32_lower_case_hex_digits() -> None:
    assert parse_request_id("00112233445566778899aabbccddeeff") == bytes.fromhex(
        "00112233445566778899aabbccddeeff"
    )
    for bad in (
        "00112233445566778899AABBCCDDEEFF",
        "0011",
        "0x112233445566778899aabbccddeeff",
        "g" * 32,
    ):
        with pytest.raises(EncodingError):
            parse_request_id(bad)


def test_request_fields_are_immutable() -> None:
    req = _req()
    with pytest.raises(Exception, match="frozen"):
        req.today = 1  # type: ignore[misc]
