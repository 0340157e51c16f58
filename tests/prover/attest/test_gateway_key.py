"""Gateway keys: TLS SubjectPublicKeyInfo hashes and v3 onion addresses."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from Crypto.PublicKey import ECC

from prover.attest.errors import AttestConfigError
from prover.attest.gateway_key import GatewayKey, onion_host, spki_of_certificate

from .vectors import vector

REAL_ONIONS = [
    "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion",  # torproject.org
    "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion",  # duckduckgo.com
]


def _real_certificates() -> list[bytes]:
    """The DER certificates of a real quote's PCK chain (leaf, intermediate, Intel root)."""
    pem = vector("tdx_quote").raw.decode("latin-1")
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----\n(.*?)-----END CERTIFICATE-----", pem, re.S)
    return [base64.b64decode("".join(b.split())) for b in blocks]


def test_the_spki_of_real_certificates_matches_pycryptodomes_reading() -> None:
    certificates = _real_certificates()
    assert len(certificates) == 3
    for der in certificates:
        reference = ECC.import_key(der).export_key(format="DER")  # an independent X.509 reader
        assert spki_of_certificate(der) == reference
        assert GatewayKey.from_certificate_der(der).sha256 == hashlib.sha256(reference).digest()


def test_a_pem_file_gives_the_key_of_its_first_certificate() -> None:
    leaf = _real_certificates()[0]
    pem = "-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(leaf).decode()
    pem += "-----END CERTIFICATE-----\n"
    assert GatewayKey.from_certificate_pem(pem) == GatewayKey.from_certificate_der(leaf)


@pytest.mark.parametrize("cut", [0, 1, 10, 100, 300])
def test_a_truncated_certificate_is_refused_with_a_named_error(cut: int) -> None:
    with pytest.raises(AttestConfigError) as info:
        spki_of_certificate(_real_certificates()[0][:cut])
    assert info.value.field == "tls_certificate"


@pytest.mark.parametrize("address", REAL_ONIONS)
def test_real_v3_onion_addresses_are_accepted_and_hashed_as_lowercase_ascii(address: str) -> None:
    key = GatewayKey.from_onion(address.upper())
    assert key.kind == "onion-v3"
    assert key.sha256 == hashlib.sha256(address.encode()).digest()
    assert onion_host(" " + address + " ") == address


@pytest.mark.parametrize(
    "address",
    [
        REAL_ONIONS[0].replace("2gzy", "3gzy"),  # checksum no longer matches
        REAL_ONIONS[0][:-7] + ".onion",  # too short
        "example.com",
        REAL_ONIONS[0].replace(".onion", ".onio"),
    ],
)
def test_anything_but_a_valid_v3_onion_address_is_refused(address: str) -> None:
    with pytest.raises(AttestConfigError) as info:
        GatewayKey.from_onion(address)
    assert info.value.field == "onion_address"
