"""§6 steps 4–5 for a reserved ticket: policy, forward, price, sign, persist durably, reply.

Every outcome after `reserve` ends in a signed next state that is stored before anything is
sent, charged by who caused it (`docs/failure-costs.md`, `prover.gateway.upstream.reply_cost`):

- a request the policy penalises is never forwarded: cost 0, `p = penalty_max`, `403
  policy_violation`;
- the provider's failure (upstream unreachable, timeout, 5xx, its key or quota refused, or any
  exception on the way) costs 0: `502 upstream_error`;
- a reply over the size limit the caller asked for costs the request's worst case: `502
  reply_over_limit`;
- a served reply (a 2xx, or an upstream 4xx about the caller's request) costs the schedule's
  price of the reported usage, never above the pre-flight's worst case, never above `c_max`.

Streamed chat replies relay the upstream's server-sent events, then, after persisting, one final
`event: payment-response`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from anyio import to_thread
from starlette.responses import Response, StreamingResponse

from prover.crypto.babyjub import Point
from prover.gateway.app.body_cache import ReplyBodies
from prover.gateway.app.checks import ReceivedRequest
from prover.gateway.app.responses import JSON, error_body, payment_event, payment_header
from prover.gateway.app.signer import StateSigner
from prover.gateway.ports import (
    ForwardRequest,
    ForwardStream,
    Policy,
    PolicyDecision,
    Upstream,
)
from prover.gateway.store import NullifierStore, ReplyConflict, StoredReply, StoreError
from prover.gateway.upstream.chat import wants_stream
from prover.gateway.upstream.cost import reply_cost
from prover.logs import get_logger
from prover.pricing import preflight
from prover.pricing.schedule import PriceRoute, PriceSchedule, RouteKind
from prover.wire.errors import ErrorCode

log = get_logger("zkcredits.gateway")

ZERO_DECISION = PolicyDecision(penalty=0, evidence_hash=bytes(32))
MAX_POLICY_BYTES = 4 << 20  # a streamed body beyond this is judged on its first 4 MiB
INLINE_POLICY_BYTES = 64 << 10  # the request policy runs on the event loop below this size


@dataclass(frozen=True)
class PaidCall:
    request: ReceivedRequest
    route: PriceRoute
    nullifier: int
    x: int
    e_anon: Point
    request_digest: int | None = None  # D5 `h`, for the policy's evidence

    def forward_request(self, bound: preflight.Bound, max_reply_bytes: int) -> ForwardRequest:
        r = self.request
        return ForwardRequest(
            method=r.method,
            path=r.path,
            body=r.body,
            content_type=r.content_type,
            route=self.route,
            max_output_tokens=bound.output_tokens,
            request_digest=self.request_digest,
            max_reply_bytes=max_reply_bytes,
        )

    @property
    def wants_stream(self) -> bool:
        return self.route.kind is RouteKind.CHAT and wants_stream(self.request.body)


class PersistFailed(Exception):
    """The store refused or failed `complete`: nothing may be replied as served."""


@dataclass
class CallServer:
    schedule: PriceSchedule
    penalty_max: int
    upstream: Upstream
    policy: Policy
    store: NullifierStore
    signer: StateSigner
    cache: ReplyBodies
    in_flight: set[int] = field(default_factory=set)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def serve(self, call: PaidCall) -> Response:
        self.in_flight.add(call.nullifier)
        handed_off = False  # a streamed call stays in flight until its pump has persisted it
        try:
            if call.wants_stream:
                response, handed_off = await self._serve_stream(call)
                return response
            return await self._serve_plain(call)
        finally:
            if not handed_off:
                self.in_flight.discard(call.nullifier)

    async def finish_failed(self, call: PaidCall, message: str) -> Response:
        """Cost 0, signed, persisted, `502 upstream_error` with `PAYMENT-RESPONSE`."""
        body = error_body(ErrorCode.UPSTREAM_ERROR, message)
        return await self._finish(call, 502, JSON, body, 0, None)

    def _prepare(self, call: PaidCall) -> tuple[preflight.Bound, ForwardRequest]:
        """The pre-flight bound (the pipeline checked it before reservation; pure, recomputed
        here) and the exact request to forward, capped by it."""
        bound = preflight.bound(self.schedule, call.route, call.request.body)
        return bound, call.forward_request(bound, self.schedule.max_reply_bytes)

    async def _penalised(self, call: PaidCall, request: ForwardRequest) -> Response | None:
        """The policy on the request alone, before forwarding: a penalised request is never
        forwarded; it costs 0 (no work was done) and carries `p = penalty_max`."""
        if len(request.body) <= INLINE_POLICY_BYTES:
            decision = self._decide(request, b"")
        else:
            decision = await to_thread.run_sync(self._decide, request, b"")
        if decision.penalty == 0:
            return None
        body = error_body(
            ErrorCode.POLICY_VIOLATION,
            f"the request breaks the provider's published policy (rule {decision.rule}); it was "
            "not forwarded; the penalty's evidence hash is in PAYMENT-RESPONSE",
        )
        return await self._finish(call, 403, JSON, body, 0, None, decision)

    async def _over_limit(self, call: PaidCall, cost: int) -> Response:
        body = error_body(
            ErrorCode.REPLY_OVER_LIMIT,
            f"the reply outgrew the {self.schedule.max_reply_bytes}-byte limit; charged the "
            "request's worst case",
        )
        return await self._finish(call, 502, JSON, body, cost, None)

    async def _serve_plain(self, call: PaidCall) -> Response:
        bound, request = self._prepare(call)
        if (refused := await self._penalised(call, request)) is not None:
            return refused
        try:
            reply = await self.upstream.forward(request)
        except Exception:
            log.exception("upstream_raised", nullifier=call.nullifier)
            return await self.finish_failed(call, "the upstream failed; charged 0")
        if reply.failed:
            return await self.finish_failed(call, "the upstream failed; charged 0")
        cost = reply_cost(self.schedule, bound, reply)
        if reply.over_limit:
            return await self._over_limit(call, cost)
        return await self._finish(call, reply.status, reply.content_type, reply.body, cost, request)

    async def _finish(
        self,
        call: PaidCall,
        status: int,
        content_type: str,
        body: bytes,
        cost: int,
        judged: ForwardRequest | None,
        decision: PolicyDecision | None = None,
    ) -> Response:
        """`judged`: the request the policy evaluates with `body` (None: failed call, no policy);
        `decision`: one already taken (a penalised request)."""
        try:
            stored = await to_thread.run_sync(
                self._settle, call, cost, judged, body, status, content_type, decision
            )
        except PersistFailed:
            return Response(
                error_body(ErrorCode.IN_PROGRESS, "the reply could not be stored; retry"),
                409,
                media_type=JSON,
            )
        return Response(
            body, status, headers=payment_header(call.nullifier, stored), media_type=content_type
        )

    def _settle(
        self,
        call: PaidCall,
        cost: int,
        judged: ForwardRequest | None,
        body: bytes,
        status: int,
        content_type: str,
        decision: PolicyDecision | None = None,
    ) -> StoredReply:
        """Policy, sign E_new, keep the body, `complete` durably (one worker-thread hop); if
        another worker completed the ticket first, its reply. The body is kept before the
        ticket is completed, so a crash in between never loses a paid body."""
        if decision is None:
            decision = ZERO_DECISION if judged is None else self._decide(judged, body)
        reply = self.signer.next_state(call.e_anon, cost, decision)
        try:
            self.cache.put(call.nullifier, call.x, status, content_type, body)
            self.store.complete(call.nullifier, call.x, reply)
            return reply
        except ReplyConflict:
            try:
                stored = self.store.get_reply(call.nullifier)
            except StoreError as exc:
                raise PersistFailed from exc
            if stored is None:
                raise PersistFailed from None
            return stored
        except StoreError as exc:
            log.error("complete_failed", nullifier=call.nullifier, error=str(exc))
            raise PersistFailed from exc

    def _decide(self, request: ForwardRequest, body: bytes) -> PolicyDecision:
        """The policy hook; anything but `0`/`penalty_max` with a 32-byte evidence hash (zero
        when 0) is a policy bug, logged and treated as no penalty."""
        try:
            decision = self.policy.evaluate(request, body)
        except Exception:
            log.exception("policy_raised", outcome="no_penalty")
            return ZERO_DECISION
        ok_hash = isinstance(decision.evidence_hash, bytes) and len(decision.evidence_hash) == 32
        if decision.penalty == 0 and ok_hash and not any(decision.evidence_hash):
            return ZERO_DECISION
        if decision.penalty == self.penalty_max and self.penalty_max > 0 and ok_hash:
            return decision
        log.error("policy_decision_invalid", decision=repr(decision), outcome="no_penalty")
        return ZERO_DECISION

    # -- streaming -------------------------------------------------------------------------

    async def _serve_stream(self, call: PaidCall) -> tuple[Response, bool]:
        bound, request = self._prepare(call)
        if (refused := await self._penalised(call, request)) is not None:
            return refused, False
        try:
            stream = await self.upstream.forward_stream(request)
        except Exception:
            log.exception("upstream_stream_raised", nullifier=call.nullifier)
            stream = None
        if stream is None or stream.failed:
            return await self.finish_failed(call, "the upstream failed; charged 0"), False
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        # The pump runs to the end even if the client goes away: the call is always persisted.
        task = asyncio.create_task(self._pump(call, bound, request, stream, queue))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        response = StreamingResponse(_drain(queue), stream.status, media_type=stream.content_type)
        return response, True

    async def _pump(
        self,
        call: PaidCall,
        bound: preflight.Bound,
        request: ForwardRequest,
        stream: ForwardStream,
        queue: asyncio.Queue[bytes | None],
    ) -> None:
        seen: list[bytes] = []
        size, failed = 0, False
        try:
            async for chunk in stream.chunks:
                queue.put_nowait(chunk)
                if size < MAX_POLICY_BYTES:
                    seen.append(chunk)
                size += len(chunk)
        except Exception:
            log.exception("upstream_stream_broke", nullifier=call.nullifier)
            failed = True
        body = b"".join(seen)
        failed = failed or stream.failed
        try:
            cost = 0 if failed else reply_cost(self.schedule, bound, stream)
            judged = None if failed or stream.over_limit else request
            stored = await to_thread.run_sync(
                self._settle, call, cost, judged, body, 200, "text/event-stream"
            )
            queue.put_nowait(payment_event(call.nullifier, stored))
        except PersistFailed:
            err = error_body(ErrorCode.IN_PROGRESS, "the reply could not be stored; retry")
            queue.put_nowait(b"event: error\ndata: " + err + b"\n\n")
        finally:
            self.in_flight.discard(call.nullifier)
            queue.put_nowait(None)


async def _drain(queue: asyncio.Queue[bytes | None]) -> AsyncIterator[bytes]:
    while (item := await queue.get()) is not None:
        yield item
