"""Strict framing of TDX quotes: real quotes parse; every unsigned byte must be canonical."""

from __future__ import annotations

import base64
import hashlib
import struct

import dcap_qvl
import pytest

from prover.attest.errors import NotTdxError, QuoteFormatError
from prover.attest.quote import INTEL_SGX_ROOT_CA_SHA256, MAX_QUOTE_BYTES, parse_tdx_quote

from .vectors import flipped, regions, vector

TDX = ["tdx_quote", "tdx_quote_outdated", "tdx_quote_td15ex"]


@pytest.mark.parametrize("name", TDX)
def test_real_tdx_quotes_parse_with_the_measurements_dcap_qvl_reads(name: str) -> None:
    raw = vector(name).raw
    quote = parse_tdx_quote(raw)
    reference = dcap_qvl.parse_quote(raw).report  # dcap-qvl's own decoder, not our offsets
    m = quote.measurements
    assert m.mrtd == reference.mr_td
    assert (m.rtmr0, m.rtmr1, m.rtmr2, m.rtmr3) == (
        reference.rt_mr0,
        reference.rt_mr1,
        reference.rt_mr2,
        reference.rt_mr3,
    )
    assert quote.report_data == reference.report_data
    assert quote.td_attributes == reference.td_attributes
    assert quote.sha256 == hashlib.sha256(raw).hexdigest()


def test_the_three_layouts_are_v4_td10_v5_td15_and_v5_td15ex() -> None:
    assert [
        (parse_tdx_quote(vector(n).raw).version, parse_tdx_quote(vector(n).raw).body_type)
        for n in TDX
    ] == [(4, 2), (5, 3), (5, 4)]


def test_the_pck_chain_of_a_real_quote_ends_with_intels_root() -> None:
    raw = vector("tdx_quote").raw
    pem = raw[regions(raw).pck_chain.start : regions(raw).pck_chain.stop]
    last = pem.rstrip(b"\x00").split(b"-----BEGIN CERTIFICATE-----\n")[-1]
    body = last.split(b"-----END CERTIFICATE-----")[0]
    der = base64.b64decode(b"".join(body.split()))
    assert hashlib.sha256(der).hexdigest() == INTEL_SGX_ROOT_CA_SHA256


def test_an_sgx_quote_is_refused_as_not_tdx() -> None:
    with pytest.raises(NotTdxError) as info:
        parse_tdx_quote(vector("sgx_quote").raw)
    assert info.value.field == "quote.header.tee_type"


@pytest.mark.parametrize(
    ("offset", "field"),
    [
        (0, "quote.body.type"),  # version 4 -> 5: the bytes after the header are no v5 body
        (2, "quote.header.attestation_key_type"),
    ],
)
def test_header_bytes_that_change_the_layout_are_refused_before_any_signature(
    offset: int, field: str
) -> None:
    with pytest.raises(QuoteFormatError) as info:
        parse_tdx_quote(flipped(vector("tdx_quote").raw, offset))
    assert info.value.field == field


def test_a_tee_type_byte_flipped_is_refused_as_not_tdx() -> None:
    with pytest.raises(NotTdxError) as info:
        parse_tdx_quote(flipped(vector("tdx_quote").raw, 4))
    assert "0x80" in str(info.value)


def test_unsigned_framing_bytes_are_refused_each_with_its_field() -> None:
    raw = vector("tdx_quote").raw
    r = regions(raw)
    sig_len_at = r.signature.start - 4
    cert_type_at = r.attestation_key.stop
    cases = {
        sig_len_at: "quote.certification.size",  # 4300 -> 4301: the sizes inside no longer fit
        cert_type_at: "quote.certification.type",  # 6 -> 7
        cert_type_at + 2: "quote.certification.size",
        r.pck_chain.start - 6: "quote.certification.pck_chain",  # inner type 5 -> 4
        r.pck_chain.start - 4: "quote.certification.pck_chain",  # inner size
        len(raw) - 1: "quote.padding",  # the v4 sample's trailing zero padding
    }
    for at, field in cases.items():
        with pytest.raises(QuoteFormatError) as info:
            parse_tdx_quote(flipped(raw, at))
        assert info.value.field == field, at


def test_a_signature_length_past_the_end_is_refused() -> None:
    raw = bytearray(vector("tdx_quote_outdated").raw)  # v5 sample: no padding after the data
    at = regions(bytes(raw)).signature.start - 4
    struct.pack_into("<I", raw, at, struct.unpack_from("<I", raw, at)[0] + 1)
    with pytest.raises(QuoteFormatError) as info:
        parse_tdx_quote(bytes(raw))
    assert info.value.field == "quote.signature_length"


def test_a_chain_whose_root_is_not_intels_is_refused_even_though_dcap_qvl_ignores_it() -> None:
    raw = vector("tdx_quote").raw
    pem = regions(raw).pck_chain
    root_body = raw.rindex(b"-----END CERTIFICATE-----") - 200  # inside the root's base64
    tampered = bytearray(raw)
    tampered[root_body] = ord("A") if raw[root_body] != ord("A") else ord("B")
    assert pem.start < root_body < pem.stop
    with pytest.raises(QuoteFormatError) as info:
        parse_tdx_quote(bytes(tampered))
    assert "Intel's SGX root" in str(info.value)


@pytest.mark.parametrize("length", [0, 1, 47, 48, 100, 632, 700, 1300, 4000])
def test_a_truncated_quote_is_a_format_error(length: int) -> None:
    with pytest.raises(QuoteFormatError):
        parse_tdx_quote(vector("tdx_quote").raw[:length])


def test_an_oversized_quote_is_refused_before_parsing() -> None:
    with pytest.raises(QuoteFormatError) as info:
        parse_tdx_quote(vector("tdx_quote").raw + bytes(MAX_QUOTE_BYTES))
    assert info.value.field == "quote"
