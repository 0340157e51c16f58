"""The gateway key a quote binds: the hash of the gateway's TLS public key or of its onion address.

- `tls-spki-sha256`: SHA-256 of the DER `SubjectPublicKeyInfo` of the gateway's TLS certificate
  (the key, not the certificate: a renewed certificate for the same key keeps the binding; the
  same value as HPKP / `openssl x509 -pubkey | openssl pkey -pubin -outform DER | sha256sum`).
- `onion-v3`: SHA-256 of the ASCII, lower-case v3 onion host name `<56 base32 chars>.onion`
  (its checksum and version byte are checked, rend-spec-v3 §6).

A client compares this with what it sees on the connection that fetched the quote: the peer
certificate's key (https) or the host name it dialled (onion).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict

from prover.attest.errors import AttestConfigError
from prover.wire.fields import Hash32

TLS_SPKI: Final = "tls-spki-sha256"
ONION_V3: Final = "onion-v3"
_ONION = re.compile(r"^([a-z2-7]{56})\.onion$")
_PEM_CERT = re.compile(
    r"-----BEGIN CERTIFICATE-----\s+([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----"
)


class GatewayKey(BaseModel):
    """Which key the gateway answers with, as a kind and a SHA-256."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["tls-spki-sha256", "onion-v3"]
    sha256: Hash32

    @classmethod
    def from_spki(cls, spki_der: bytes) -> GatewayKey:
        return cls(kind=TLS_SPKI, sha256=hashlib.sha256(spki_der).digest())

    @classmethod
    def from_certificate_der(cls, der: bytes) -> GatewayKey:
        return cls.from_spki(spki_of_certificate(der))

    @classmethod
    def from_certificate_pem(cls, pem: str) -> GatewayKey:
        """The first certificate of a PEM file (the leaf, as servers list it)."""
        match = _PEM_CERT.search(pem)
        if match is None:
            raise AttestConfigError("no PEM certificate found", field="tls_certificate")
        try:
            der = base64.b64decode("".join(match.group(1).split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise AttestConfigError(
                "the PEM certificate is not base64", field="tls_certificate"
            ) from exc
        return cls.from_certificate_der(der)

    @classmethod
    def from_onion(cls, address: str) -> GatewayKey:
        return cls(kind=ONION_V3, sha256=hashlib.sha256(onion_host(address).encode()).digest())


def onion_host(address: str) -> str:
    """`<56 chars>.onion`, lower-cased, after checking its v3 checksum and version byte."""
    host = address.strip().lower()
    match = _ONION.fullmatch(host)
    if match is None:
        raise AttestConfigError(
            "an onion address is 56 base32 characters then .onion", field="onion_address"
        )
    decoded = base64.b32decode(match.group(1).upper())
    pubkey, checksum, version = decoded[:32], decoded[32:34], decoded[34:]
    expected = hashlib.sha3_256(b".onion checksum" + pubkey + version).digest()[:2]
    if version != b"\x03" or checksum != expected:
        raise AttestConfigError(
            "not a v3 onion address (checksum or version byte wrong)", field="onion_address"
        )
    return host


def _tlv(data: bytes, at: int) -> tuple[int, int, int]:
    """`(tag, content_start, end)` of the DER element at `at`."""
    if at + 2 > len(data):
        raise AttestConfigError("the certificate ends inside a DER header", field="tls_certificate")
    tag, first = data[at], data[at + 1]
    start = at + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or start + count > len(data):
            raise AttestConfigError("bad DER length in the certificate", field="tls_certificate")
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    end = start + length
    if end > len(data):
        raise AttestConfigError("a DER element runs past the certificate", field="tls_certificate")
    return tag, start, end


def spki_of_certificate(der: bytes) -> bytes:
    """The DER `SubjectPublicKeyInfo` of an X.509 certificate (RFC 5280 §4.1)."""
    tag, start, end = _tlv(der, 0)
    if tag != 0x30 or end != len(der):
        raise AttestConfigError("not a DER certificate", field="tls_certificate")
    tag, at, tbs_end = _tlv(der, start)  # tbsCertificate
    if tag != 0x30:
        raise AttestConfigError("not a DER certificate", field="tls_certificate")
    index = 0
    while at < tbs_end:
        tag, _content, next_at = _tlv(der, at)
        if index == 0 and tag == 0xA0:  # [0] EXPLICIT version
            at = next_at
            continue
        # serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
        if index == 5:
            if tag != 0x30:
                break
            return der[at:next_at]
        index += 1
        at = next_at
    raise AttestConfigError("no subjectPublicKeyInfo in the certificate", field="tls_certificate")
