"""The `report_data` binding: what a quote says about the gateway that clients pay (docs/tee.md).

    msg = "zkcredits/tee/report-data/v1" (28 ASCII bytes)
       || chain_id          uint256, 32 bytes big-endian
       || vault             20 bytes (the address)
       || server_pk.x       32 bytes big-endian (Baby Jubjub, BN254 field element)
       || server_pk.y       32 bytes big-endian
       || gateway_key.kind  1 byte: 0x01 tls-spki-sha256, 0x02 onion-v3
       || gateway_key.sha256  32 bytes
    report_data = SHA-256(msg) || 32 zero bytes          (64 bytes, TDREPORT's REPORTDATA)

Every field has a fixed width, so no two inputs share a message. The second half is reserved (zero
in v1) for a verifier's challenge nonce in a later version.
"""

from __future__ import annotations

import hashlib
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

from prover.attest.errors import BindingMismatchError
from prover.attest.gateway_key import ONION_V3, TLS_SPKI, GatewayKey
from prover.wire.fields import FieldElement

DOMAIN_TAG: Final = b"zkcredits/tee/report-data/v1"
_KIND_BYTE: Final = {TLS_SPKI: b"\x01", ONION_V3: b"\x02"}
RESERVED: Final = bytes(32)


class Binding(BaseModel):
    """The values a quote binds: the gateway's state key, the vault it is paid through, the chain,
    and the key the gateway answers with."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    chain_id: int = Field(ge=1, lt=1 << 256)
    vault: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$")
    server_pk: tuple[FieldElement, FieldElement]
    gateway_key: GatewayKey

    def message(self) -> bytes:
        return b"".join(
            (
                DOMAIN_TAG,
                self.chain_id.to_bytes(32, "big"),
                bytes.fromhex(self.vault[2:]),
                self.server_pk[0].to_bytes(32, "big"),
                self.server_pk[1].to_bytes(32, "big"),
                _KIND_BYTE[self.gateway_key.kind],
                self.gateway_key.sha256,
            )
        )

    def report_data(self) -> bytes:
        """The 64 bytes the gateway's quote must carry."""
        return hashlib.sha256(self.message()).digest() + RESERVED


def check_binding(report_data: bytes, expected: bytes) -> None:
    """`BindingMismatchError` unless the quote's `report_data` is exactly `expected`."""
    if report_data != expected:
        raise BindingMismatchError(
            f"report_data {report_data.hex()} does not bind this provider "
            f"(expected {expected.hex()})",
            field="report_data",
        )


def check_claimed(claimed: Binding, expected: Binding) -> None:
    """Name the first value of a document's claimed binding that differs from the expected one
    (a clearer refusal than a hash mismatch; the hash is still what decides)."""
    for name in ("chain_id", "vault", "server_pk", "gateway_key"):
        got, want = getattr(claimed, name), getattr(expected, name)
        if name == "vault":
            got, want = got.lower(), want.lower()
        if got != want:
            raise BindingMismatchError(
                f"the quote binds {name} {got!r}, expected {want!r}", field=f"binding.{name}"
            )
