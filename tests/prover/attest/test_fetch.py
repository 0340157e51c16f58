"""`fetch_uri`: data: and http(s) URIs only, bounded, and no private hosts unless allowed."""

from __future__ import annotations

import base64
import re

import pytest

from prover.attest.errors import EvidenceError, EvidenceFetchError
from prover.attest.fetch import fetch_uri


def test_a_data_uri_gives_its_bytes() -> None:
    uri = "data:application/json;base64," + base64.b64encode(b'{"a":1}').decode()
    assert fetch_uri(uri) == b'{"a":1}'
    assert fetch_uri(uri.replace("json;", "json;charset=utf-8;")) == b'{"a":1}'


@pytest.mark.parametrize(
    ("uri", "error", "field"),
    [
        ("data:application/json;base64,@@@", EvidenceError, "uri"),
        ("data:application/json;base64," + "A" * 2_000_000, EvidenceError, "uri"),
        ("ipfs://bafy", EvidenceFetchError, "url"),
        ("file:///etc/passwd", EvidenceFetchError, "url"),
        ("http://127.0.0.1:1/doc", EvidenceFetchError, "url"),
        ("http://localhost:1/doc", EvidenceFetchError, "url"),
        ("http://10.0.0.1/doc", EvidenceFetchError, "url"),
        ("http://[::1]:1/doc", EvidenceFetchError, "url"),
    ],
)
def test_bad_or_private_uris_are_refused_without_connecting(
    uri: str, error: type[Exception], field: str
) -> None:
    with pytest.raises(error) as info:
        fetch_uri(uri)
    assert getattr(info.value, "field", None) == field


def test_a_private_host_is_refused_for_what_it_is() -> None:
    with pytest.raises(EvidenceFetchError, match=re.escape("non-public address 127.0.0.1")):
        fetch_uri("http://127.0.0.1:1/doc")
