"""A note's ticket (PROTOCOL §8): its one-time key, its share, and the request in flight on it."""

from __future__ import annotations

from pydantic import (
    BaseModel,
    Field,
)

from prover.client.wallet.models import (
    _FROZEN,
    TICKET_LIMIT,
    B64Bytes,
)
from prover.crypto import RequestFields, canonical_request
from prover.wire.fields import FieldElement, RequestId


class StoredRequest(BaseModel):
    """A request journalled on a ticket before it is sent, kept so a resend carries exactly the
    same signed bytes (D5; Ed25519 signatures are deterministic, so the signature is the same)."""

    model_config = _FROZEN

    method: str
    path: str
    body: B64Bytes
    today: int = Field(ge=0, lt=1 << 64)
    request_id: RequestId

    @classmethod
    def of(cls, req: RequestFields) -> StoredRequest:
        return cls(
            method=req.method,
            path=req.path,
            body=req.body,
            today=req.today,
            request_id=req.request_id,
        )

    def fields(self, service_id: int) -> RequestFields:
        return RequestFields.create(
            method=self.method,
            path=self.path,
            body=self.body,
            service_id=service_id,
            today=self.today,
            request_id=self.request_id,
        )

    def canonical(self, service_id: int) -> bytes:
        """The exact bytes the ticket key signs for this request (D5)."""
        return canonical_request(self.fields(service_id))


class Ticket(BaseModel):
    """A note's next ticket `n` (PROTOCOL v3 §8): its one-time Ed25519 key, fixed before any
    proof of the ticket can leave, so the ticket's share `(x, y, nullifier)` never changes.

    `secret` is the key's 32-byte seed, sealed in the wallet like `k`. `request` is the request
    in flight on the ticket (journalled before it is sent; cleared when a refusal proves the
    gateway did not reserve the ticket, or by the reply). `shown` is true once a request on the
    ticket may have left the machine: its share `(x, y)` is then known to the gateway, so an exit
    must never publish another share of this ticket (it exits with `pending = 1` unless the
    ticket gets served first).
    """

    model_config = _FROZEN

    n: int = Field(ge=0, lt=TICKET_LIMIT)
    secret: B64Bytes = Field(repr=False)
    pk: B64Bytes
    x: FieldElement
    nullifier: FieldElement
    request: StoredRequest | None = None
    shown: bool = False

    @property
    def in_flight(self) -> bool:
        return self.request is not None

    @property
    def share_revealed(self) -> bool:
        """A request on this ticket is in flight or may have been seen by the gateway."""
        return self.shown or self.request is not None
