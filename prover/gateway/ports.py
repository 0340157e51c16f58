"""The gateway's internal interfaces: what the paid-call pipeline needs from its collaborators.

`ChainView` (chain sync, `prover/gateway/chain/`), `Upstream` (forwarding,
`prover/gateway/upstream/`) and `Policy` (penalties, `prover/gateway/policy/`) are implemented by
real components; the pipeline (`prover/gateway/app/`) depends only on these protocols.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

from prover.pricing.schedule import PriceRoute, Usage


class ChainView(Protocol):
    """The gateway's own view of the vault, from finalized chain events (PROTOCOL §11)."""

    def is_synced(self) -> bool:
        """True once events are ingested up to the finality point; nothing is served before."""
        ...

    def is_accepted_root(self, root: int, now: float) -> bool:
        """`root` is a final, non-zero checkpoint still within `root_ttl` at unix time `now`."""
        ...

    def is_deposited_id(self, note_id: int) -> bool:
        """A note with this ID was deposited (any status): a recovered `k` must map to one."""
        ...


@dataclass(frozen=True)
class ForwardRequest:
    """Exactly the canonical bytes the gateway hashed into `x`, and the route they are priced by."""

    method: str
    path: str  # raw path with query string, as hashed
    body: bytes
    content_type: str | None
    route: PriceRoute
    max_output_tokens: int  # the cap the upstream must enforce so cost ≤ c_max (0: no tokens)
    request_digest: int | None = None  # D5 `h`: binds a penalty's evidence to this call
    max_reply_bytes: int | None = None  # the schedule's reply limit (None: the upstream's own)


@dataclass(frozen=True)
class ForwardReply:
    """A complete (non-streamed) upstream reply with the usage it is priced by."""

    status: int
    content_type: str
    body: bytes
    usage: Usage
    failed: bool = False  # the provider's failure (unreachable, 5xx, timeout, key refused): cost 0
    over_limit: bool = False  # the reply outgrew the size limit the caller asked for: charged


@dataclass
class ForwardStream:
    """A streamed upstream reply: server-sent event chunks, then the usage once exhausted."""

    status: int
    content_type: str
    chunks: AsyncIterator[bytes]
    usage: Usage = field(default_factory=Usage)
    failed: bool = False  # as ForwardReply
    over_limit: bool = False  # as ForwardReply: the stream was cut at the size limit


class Upstream(Protocol):
    async def forward(self, request: ForwardRequest) -> ForwardReply: ...

    async def forward_stream(self, request: ForwardRequest) -> ForwardStream: ...


@dataclass(frozen=True)
class PolicyDecision:
    """`penalty` is 0 or the vault's `penalty_max`; `evidence_hash` is 32 zero bytes when 0."""

    penalty: int
    evidence_hash: bytes
    rule: str | None = None


class Policy(Protocol):
    def evaluate(self, request: ForwardRequest, reply_body: bytes) -> PolicyDecision: ...
