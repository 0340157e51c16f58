"""The paid-call pipeline, §6 steps 1–3: check, verify, reserve; then `serve` (steps 4–5).

Order of work per paid call (PROTOCOL v3): strict header decoding → public inputs against the
vault → `x` is the hash of the one-time key `pk` → the key's Ed25519 signature over the request
as received → root → today rule → the route's work-cap rules → Groth16 verification (worker
thread) → `reserve` in the nullifier store → forward / price / policy / sign / persist → reply.
Every refusal before `reserve` carries `ticket: "unreserved"`: the client may send the same
ticket again. Nothing is keyed on proof bytes (Groth16 proofs are malleable): the store's key is
the nullifier, and the point a ticket's next state is signed on is the `E_anon` it was reserved
with, on every path.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from anyio import to_thread
from starlette.responses import Response

from prover.crypto.babyjub import Point
from prover.gateway.app import checks
from prover.gateway.app.body_cache import ReplyBodies
from prover.gateway.app.doublespend import DoubleSpendSink, evidence_for
from prover.gateway.app.responses import error_response, payment_event, payment_header
from prover.gateway.app.serve import CallServer, PaidCall
from prover.gateway.app.settings import GatewaySettings
from prover.gateway.app.verify import VerifyFn
from prover.gateway.ports import ChainView
from prover.gateway.store import (
    DoubleSpend,
    EAnonMismatch,
    InProgress,
    Kind,
    NullifierStore,
    Reserved,
    ReserveOutcome,
    Retry,
    StoredReply,
    StoreError,
    TicketReserved,
)
from prover.logs import get_logger
from prover.pricing.schedule import PriceRoute
from prover.wire import HEADER_SIGNATURE, PaymentSignature, decode_header
from prover.wire.errors import ErrorCode, WireError

log = get_logger("zkcredits.gateway")


class _ReserveFailed(Exception):
    """`reserve` raised: its outcome is unknown, so the refusal must not say "unreserved"."""


@dataclass
class Pipeline:
    settings: GatewaySettings
    vault: checks.VaultParams
    chain: ChainView
    store: NullifierStore
    verify: VerifyFn
    server: CallServer
    sink: DoubleSpendSink
    cache: ReplyBodies
    clock: Callable[[], float] = time.time
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    async def handle(
        self, request: checks.ReceivedRequest, header: str, route: PriceRoute
    ) -> Response:
        try:
            payment, digest = await self._check(request, header, route)
            outcome = await to_thread.run_sync(self._verify_and_reserve, payment, digest)
        except WireError as exc:
            return error_response(exc.before_reserve())
        except _ReserveFailed:
            return error_response(
                WireError(ErrorCode.IN_PROGRESS, "the ticket could not be reserved; retry")
            )
        try:
            return await self._settle(request, route, payment, digest, outcome)
        except WireError as exc:
            return error_response(exc)

    async def _check(
        self, request: checks.ReceivedRequest, header: str, route: PriceRoute
    ) -> tuple[PaymentSignature, int]:
        """§6 step 1, in the order of the module docstring; returns the payment and the request
        digest `h`. Raises `WireError` (nothing reserved)."""
        payment = decode_header(header, PaymentSignature, HEADER_SIGNATURE)
        checks.require_decimal_signals(header)
        p = payment.payload
        now = self.clock()
        checks.check_vault_inputs(payment, self.vault)
        checks.check_key(payment)
        digest = checks.check_signature(request, payment, self.vault.service_id)
        checks.check_root(payment, self.chain, now)
        if not checks.today_ok(p.today, now, self.settings.yesterday_grace_seconds):
            # A retry of a reserved ticket (same nullifier, same key) skips the day rule; the
            # reservation then decides (the stored reply, or `ticket_reserved`).
            record = await to_thread.run_sync(self.store.get_record, p.nullifier)
            if record is None or record.kind is not Kind.CALL or record.x != p.x:
                raise WireError(
                    ErrorCode.BAD_REQUEST, "today is not the current UTC day", field="today"
                )
        checks.check_work_cap(request, route, self.settings.price_schedule)
        return payment, digest

    def _verify_and_reserve(self, payment: PaymentSignature, digest: int) -> ReserveOutcome:
        """Steps 2 and 3 in one worker-thread hop: Groth16 verification (a failure is a
        `WireError`: nothing reserved), then `reserve` (a failure is `_ReserveFailed`)."""
        p = payment.payload
        if not self.verify(p.proof, p.public_signals):
            raise WireError(ErrorCode.INVALID_PROOF, "the proof does not verify")
        e_anon = p.e_anon
        try:
            return self.store.reserve(p.nullifier, p.x, p.y, (e_anon.x, e_anon.y), digest)
        except StoreError as exc:
            log.error("reserve_failed", nullifier=p.nullifier, error=str(exc))
            raise _ReserveFailed from exc

    async def _settle(
        self,
        request: checks.ReceivedRequest,
        route: PriceRoute,
        payment: PaymentSignature,
        digest: int,
        outcome: ReserveOutcome,
    ) -> Response:
        p = payment.payload
        call = PaidCall(request, route, p.nullifier, p.x, p.e_anon, digest)
        if isinstance(outcome, Reserved):
            return await self.server.serve(call)
        if isinstance(outcome, Retry):
            return self._replay(call, outcome.reply)
        if isinstance(outcome, InProgress):
            return await self._in_progress(call, outcome)
        if isinstance(outcome, TicketReserved):
            return self._ticket_reserved(call, outcome.reply)
        if isinstance(outcome, EAnonMismatch):
            raise WireError(
                ErrorCode.E_ANON_MISMATCH,
                "this ticket was reserved with another E_anon; retry with the reserved point",
                field="public_signals.e_anon_x",
            )
        assert isinstance(outcome, DoubleSpend)
        await self._double_spend(outcome, p.nullifier, p.x, p.y)
        raise WireError(ErrorCode.DOUBLE_SPEND, "this ticket was already spent on another request")

    def _replay(self, call: PaidCall, reply: StoredReply) -> Response:
        """A retry of a served ticket: the stored reply, never a second charge."""
        headers = payment_header(call.nullifier, reply)
        cached = self.cache.get(call.nullifier, call.x)
        if cached is None:
            return error_response(
                WireError(
                    ErrorCode.RESPONSE_EXPIRED,
                    "served earlier; the reply body is no longer kept (the signed state is in "
                    "PAYMENT-RESPONSE)",
                ),
                headers=headers,
            )
        body = cached.body
        if cached.content_type.startswith("text/event-stream"):
            body += payment_event(call.nullifier, reply)
        return Response(body, cached.status, headers=headers, media_type=cached.content_type)

    def _ticket_reserved(self, call: PaidCall, reply: StoredReply | None) -> Response:
        """Same key, another request: nothing is served for it and nothing is slashed (no second
        share exists). Once the reserved request is served its signed state comes along, so the
        ticket's owner (only it can sign with the key) can move on."""
        headers = None if reply is None else payment_header(call.nullifier, reply)
        state = "served" if reply is not None else "still running"
        return error_response(
            WireError(
                ErrorCode.TICKET_RESERVED,
                f"this ticket is reserved for another request ({state}); nothing was served "
                "for this one",
            ),
            headers=headers,
        )

    async def _in_progress(self, call: PaidCall, outcome: InProgress) -> Response:
        """Same ticket, key, request and point, not served. Running here or young: `in_progress`.
        Orphaned by a crash (reserved before this process started on a single-gateway SQLite
        store, or older than `stale_in_progress_seconds`): completed now with cost 0 on the
        RESERVED `E_anon` (the store refused any other point), since the upstream result was
        lost; a replica still running it loses the race in `complete` and replays this."""
        if call.nullifier not in self.server.in_flight:
            record = await to_thread.run_sync(self.store.get_record, call.nullifier)
            if record is not None and record.reply is None and record.E_anon is not None:
                age = datetime.now(UTC) - outcome.created_at
                orphan = self.store.backend == "sqlite" and outcome.created_at < self.started_at
                if orphan or age.total_seconds() > self.settings.stale_in_progress_seconds:
                    reserved = PaidCall(
                        call.request,
                        call.route,
                        call.nullifier,
                        call.x,
                        Point(*record.E_anon),
                        call.request_digest,
                    )
                    return await self.server.finish_failed(
                        reserved, "the first attempt was lost in a gateway restart; charged 0"
                    )
        raise WireError(ErrorCode.IN_PROGRESS, "this ticket's call is still running; retry")

    async def _double_spend(self, outcome: DoubleSpend, nullifier: int, x: int, y: int) -> None:
        try:
            evidence = await to_thread.run_sync(evidence_for, outcome, nullifier, x, y, self.chain)
            if evidence is not None:
                await to_thread.run_sync(self.sink, evidence)
        except Exception:  # the refusal stands whatever the slasher does
            log.exception("double_spend_handling_failed", nullifier=nullifier)
