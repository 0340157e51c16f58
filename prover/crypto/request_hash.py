"""The canonical request of §8 / D5: the exact bytes a ticket's one-time key signs.

v3: `x` no longer hashes the request (it hashes the ticket's key, `ticket_key.x_of_pk`); the
one-time key signs these bytes, and `h = keccak256(canonical) mod p` names the request (the
nullifier store's request identity, the policy's evidence digest).
"""

from __future__ import annotations

import re
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from prover.crypto.errors import EncodingError, MalformedRequestError
from prover.crypto.field import P, require_canonical
from prover.crypto.rln import keccak256

DOMAIN: Final[bytes] = b"zkcredits/signed-request/v1"
REQUEST_ID_BYTES: Final[int] = 16
_U32: Final[int] = (1 << 32) - 1
_METHOD_RE: Final = re.compile(r"[A-Z]{1,16}")
_PATH_RE: Final = re.compile(r"/[\x21-\x7e]*")
_REQUEST_ID_RE: Final = re.compile(r"[0-9a-f]{32}")


class RequestFields(BaseModel):
    """The fields a ticket key signs: method, path (with query), body bytes, service, day, id."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")

    method: Annotated[str, Field(description="HTTP method, ASCII upper case")]
    path: Annotated[str, Field(description="raw request target with query string, as sent")]
    body: bytes
    service_id: int
    today: Annotated[int, Field(ge=0, lt=1 << 64)]
    request_id: Annotated[bytes, Field(min_length=REQUEST_ID_BYTES, max_length=REQUEST_ID_BYTES)]

    @field_validator("method")
    @classmethod
    def _method(cls, v: str) -> str:
        if not _METHOD_RE.fullmatch(v):
            raise ValueError("method must be 1..16 ASCII upper-case letters")
        return v

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        if not _PATH_RE.fullmatch(v) or len(v) > _U32:
            raise ValueError("path must start with '/' and hold only visible ASCII (0x21-0x7e)")
        return v

    @field_validator("body")
    @classmethod
    def _body(cls, v: bytes) -> bytes:
        if len(v) > _U32:
            raise ValueError("body longer than 2^32 - 1 bytes")
        return v

    @field_validator("service_id")
    @classmethod
    def _service_id(cls, v: int) -> int:
        if not 0 <= v < P:
            raise ValueError("service_id must be a canonical field element")
        return v

    @classmethod
    def create(
        cls,
        *,
        method: str,
        path: str,
        body: bytes,
        service_id: int,
        today: int,
        request_id: bytes,
    ) -> RequestFields:
        """Validate and build; raises `MalformedRequestError` naming the first bad field."""
        try:
            return cls(
                method=method,
                path=path,
                body=body,
                service_id=service_id,
                today=today,
                request_id=request_id,
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            name = ".".join(str(p) for p in first["loc"]) or "request"
            raise MalformedRequestError(f"{name}: {first['msg']}", field=name) from exc


def parse_request_id(text: str) -> bytes:
    """Wire form of a request id: exactly 32 lower-case hex digits (16 bytes)."""
    if not isinstance(text, str) or not _REQUEST_ID_RE.fullmatch(text):
        raise EncodingError("request_id must be 32 lower-case hex digits", field="request_id")
    return bytes.fromhex(text)


def canonical_request(req: RequestFields) -> bytes:
    """The exact byte string of D5 the ticket key signs and `h` hashes."""
    method = req.method.encode("ascii")
    path = req.path.encode("ascii")
    return b"".join(
        (
            DOMAIN,
            len(method).to_bytes(4, "big"),
            method,
            len(path).to_bytes(4, "big"),
            path,
            len(req.body).to_bytes(4, "big"),
            req.body,
            require_canonical(req.service_id, "service_id").to_bytes(32, "big"),
            req.today.to_bytes(8, "big"),
            req.request_id,
        )
    )


def digest_of_canonical(canonical: bytes) -> int:
    """h = int(keccak256(canonical)) mod p, for a caller that already built the bytes."""
    return int.from_bytes(keccak256(canonical), "big") % P


def request_digest(req: RequestFields) -> int:
    """h = int(keccak256(canonical request)) mod p."""
    return digest_of_canonical(canonical_request(req))
