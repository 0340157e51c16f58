"""The real quotes of tests/vectors/tdx/ (README there: provenance, windows) and helpers.

`VECTORS[name]` gives the quote bytes, its collateral text and the fixed verification time inside
the collateral's window. `regions(raw)` locates the regions of a quote from the DCAP layout with
offsets computed here, independently of `prover.attest.quote`.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from prover.attest.collateral import Collateral, parse_collateral

DIR = Path(__file__).resolve().parents[2] / "vectors" / "tdx"


@dataclass(frozen=True)
class Vector:
    name: str
    raw: bytes
    collateral_text: str
    now: int
    """A fixed time inside the collateral's validity window (README)."""
    expires: int
    """The collateral's earliest nextUpdate (dcap-qvl's earliest_expiration_date)."""

    @property
    def collateral(self) -> Collateral:
        return parse_collateral(self.collateral_text)

    @property
    def collateral_json(self) -> dict[str, object]:
        data = json.loads(self.collateral_text)
        assert isinstance(data, dict)
        return data


_TIMES = {
    "tdx_quote": (1751328000, 1752919235),  # 2025-07-01; PCK CRL nextUpdate 2025-07-19T10:00:35Z
    "tdx_quote_outdated": (1772323200, 1774003275),  # 2026-03-01; PCK CRL 2026-03-20T10:41:15Z
    "tdx_quote_td15ex": (1792454400, 1794008711),  # 2026-10-20; QE identity 2026-11-06T23:45:11Z
    "sgx_quote": (1751328000, 1752919278),  # 2025-07-01; 2025-07-19T10:01:18Z
}


@cache
def vector(name: str) -> Vector:
    now, expires = _TIMES[name]
    return Vector(
        name=name,
        raw=(DIR / name).read_bytes(),
        collateral_text=(DIR / f"{name}_collateral.json").read_text(),
        now=now,
        expires=expires,
    )


@dataclass(frozen=True)
class Regions:
    """Byte ranges `[start, end)` of a TDX quote's parts."""

    header: range
    body: range
    report_data: range
    signature: range
    """The attestation key's ECDSA signature (64 bytes)."""
    attestation_key: range
    qe_report: range
    qe_report_signature: range
    pck_chain: range
    """The PEM text of the PCK chain (leaf, intermediate, root)."""


def regions(raw: bytes) -> Regions:
    version = struct.unpack_from("<H", raw, 0)[0]
    if version == 4:
        body_start, body_len = 48, 584
    else:
        body_len = struct.unpack_from("<I", raw, 50)[0]
        body_start = 54
    sig = body_start + body_len + 4
    cert = sig + 128 + 6
    qe_sig = cert + 384
    auth_len = struct.unpack_from("<H", raw, qe_sig + 64)[0]
    inner = qe_sig + 64 + 2 + auth_len
    pem_len = struct.unpack_from("<I", raw, inner + 2)[0]
    return Regions(
        header=range(0, 48),
        body=range(body_start, body_start + body_len),
        report_data=range(body_start + 520, body_start + 584),
        signature=range(sig, sig + 64),
        attestation_key=range(sig + 64, sig + 128),
        qe_report=range(cert, cert + 384),
        qe_report_signature=range(qe_sig, qe_sig + 64),
        pck_chain=range(inner + 6, inner + 6 + pem_len),
    )


def flipped(raw: bytes, at: int, mask: int = 0x01) -> bytes:
    out = bytearray(raw)
    out[at] ^= mask
    return bytes(out)
