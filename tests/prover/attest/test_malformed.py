"""Malformed quotes, collateral and documents give a named error and never crash (Hypothesis)."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prover.attest.appraise import verdict
from prover.attest.collateral import parse_collateral
from prover.attest.errors import AttestError, CheckFailed, CollateralFormatError
from prover.attest.evidence import parse_evidence
from prover.attest.verify import verify_quote

from .test_appraise import _expect_own
from .vectors import vector

QUOTE = vector("tdx_quote")
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _refused_or_ok(action: object) -> None:
    assert callable(action)
    try:
        action()
    except CheckFailed as error:
        assert error.field
        assert error.check


@FAST
@given(st.binary(max_size=6000))
def test_random_bytes_as_a_quote_give_a_named_error(raw: bytes) -> None:
    _refused_or_ok(lambda: verify_quote(raw, QUOTE.collateral, now=QUOTE.now))


@FAST
@given(st.integers(0, len(QUOTE.raw) - 1), st.binary(min_size=1, max_size=64))
def test_a_real_quote_with_a_spliced_in_chunk_gives_a_named_error(at: int, chunk: bytes) -> None:
    raw = QUOTE.raw[:at] + chunk + QUOTE.raw[at + len(chunk) :]
    _refused_or_ok(lambda: verify_quote(raw, QUOTE.collateral, now=QUOTE.now))


@FAST
@given(st.integers(0, len(QUOTE.raw)))
def test_a_truncated_quote_gives_a_named_error(length: int) -> None:
    raw = QUOTE.raw[:length]
    result = verdict(raw, QUOTE.collateral, _expect_own("tdx_quote"), now=QUOTE.now)
    # Only the zero padding after the signature data (70 bytes in this v4 sample) may go.
    assert result.passed is (length >= len(QUOTE.raw.rstrip(b"\x00")) + 1)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@FAST
@given(JSON)
def test_any_json_as_collateral_gives_a_collateral_format_error(data: object) -> None:
    try:
        parse_collateral(json.dumps(data))
    except CollateralFormatError as error:
        assert error.field.startswith("collateral")
    else:
        raise AssertionError("random JSON is never collateral")


@FAST
@given(st.sampled_from(sorted(QUOTE.collateral_json)), JSON)
def test_one_collateral_field_replaced_gives_a_named_error_or_a_failed_check(
    key: str, value: object
) -> None:
    data = QUOTE.collateral_json | {key: value}
    try:
        collateral = parse_collateral(data)
    except CollateralFormatError as error:
        assert error.field.startswith("collateral")
        return
    _refused_or_ok(lambda: verify_quote(QUOTE.raw, collateral, now=QUOTE.now))


@FAST
@given(st.binary(max_size=400))
def test_garbage_collateral_bytes_give_a_collateral_format_error(data: bytes) -> None:
    try:
        parse_collateral(data)
    except CollateralFormatError:
        return
    raise AssertionError("garbage is never collateral")


@FAST
@given(st.sampled_from(sorted(QUOTE.collateral_json)), st.integers(0, 10_000), st.integers(0, 255))
def test_a_byte_of_a_collateral_string_changed_is_refused_by_some_named_check(
    key: str, at: int, byte: int
) -> None:
    text = str(QUOTE.collateral_json[key])
    at %= len(text)
    if text[at] == chr(byte):
        return
    data = QUOTE.collateral_json | {key: text[:at] + chr(byte) + text[at + 1 :]}
    try:
        collateral = parse_collateral(data)
        verify_quote(QUOTE.raw, collateral, now=QUOTE.now)
    except AttestError as error:
        assert error.field
        return
    # A few bytes are not covered by any signature (e.g. CRL padding dcap-qvl does not read);
    # those must at least leave the verdict unchanged.
    assert verify_quote(QUOTE.raw, collateral, now=QUOTE.now).tcb_status == "UpToDate"


@FAST
@given(JSON)
def test_any_json_as_an_attestation_document_gives_a_named_error(data: object) -> None:
    try:
        parse_evidence(json.dumps(data).encode())
    except CheckFailed as error:
        assert error.field
        return
    raise AssertionError("random JSON is never an attestation document")
