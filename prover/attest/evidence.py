"""The attestation document: what a gateway serves at `ATTESTATION_PATH` and what an ERC-8004
validation request commits to (`requestHash = keccak256(document bytes)`).

    {"version": 1, "tee": "intel-tdx",
     "quote": "<base64 of the quote>",
     "collateral": {<dcap-qvl QuoteCollateralV3 JSON>},
     "binding": {"chain_id", "vault", "server_pk": [x, y], "gateway_key": {"kind", "sha256"}},
     "image": "<what the provider says it runs>", "generated_at": <unix seconds>}

`binding` is the provider's claim of what `report_data` binds: a verifier recomputes the binding
from its own view of the provider and never takes this one on trust (it is there so a refusal can
name the value that differs). The document is written once, canonically (sorted keys, no
spaces), and served byte for byte, so its hash is stable.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Final, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
)

from prover.attest.binding import Binding
from prover.attest.collateral import Collateral
from prover.attest.errors import CollateralFormatError, EvidenceError, QuoteFormatError
from prover.attest.json_doc import first_error, load_object
from prover.attest.quote import MAX_QUOTE_BYTES
from prover.crypto.rln import keccak256

ATTESTATION_PATH: Final = "/.well-known/zkcredits/attestation"
MAX_EVIDENCE_BYTES: Final = 512 * 1024
EVIDENCE_VERSION: Final = 1


def _b64(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str) or len(value) > 2 * MAX_QUOTE_BYTES:
        raise ValueError("must be a base64 string of at most 32 KiB of quote")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("is not base64") from exc


QuoteBytes = Annotated[
    bytes,
    BeforeValidator(_b64),
    PlainSerializer(lambda b: base64.b64encode(b).decode(), return_type=str),
]


class AttestationEvidence(BaseModel):
    """The document a gateway serves: its quote, the collateral, and the binding it claims."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1] = EVIDENCE_VERSION
    tee: Literal["intel-tdx"] = "intel-tdx"
    quote: QuoteBytes = Field(min_length=1, max_length=MAX_QUOTE_BYTES)
    collateral: Collateral
    binding: Binding
    image: str = Field(default="", max_length=512)
    generated_at: int = Field(ge=0, lt=1 << 63)

    def canonical(self) -> bytes:
        """Sorted keys, no spaces, UTF-8: the bytes a gateway serves and a request hashes."""
        data = self.model_dump(mode="json", exclude_none=True)
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def evidence_hash(document: bytes) -> bytes:
    """`keccak256` of the document bytes: the ERC-8004 `requestHash` committing to them."""
    return keccak256(document)


def parse_evidence(document: bytes) -> AttestationEvidence:
    """Parse a served document; `EvidenceError` (field named) for anything malformed."""
    data = load_object(
        document,
        limit=MAX_EVIDENCE_BYTES,
        name="the attestation document",
        error=EvidenceError,
        field="evidence",
    )
    try:
        return AttestationEvidence.model_validate(data)
    except ValidationError as exc:
        where, error = first_error(exc, "evidence")
        nested = len(error["loc"]) > 1 or error["type"] != "missing"
        top = str(error["loc"][0]) if error["loc"] and nested else ""
        kind = {"collateral": CollateralFormatError, "quote": QuoteFormatError}.get(
            top, EvidenceError
        )
        field = where if kind is not EvidenceError else f"evidence.{where}"
        raise kind(f"{where}: {error['msg']}", field=field) from None
