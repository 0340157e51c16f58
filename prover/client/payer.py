"""The payer: one paid API call on one note (PROTOCOL §6 client side, §9, §13).

For each call: refuse an over-cap request before anything else; fetch the gateway's 402 terms
once and check them against the pinned vault values; pick a payable note AT RANDOM; wait a fresh
random pre-send delay; lease the note (one call per note; others give concurrency); bind the
ticket durably (`begin_call`) BEFORE any proof leaves; prove against the newest checkpoint root of
the client's own chain view (witness and public signals checked first); send with
`PAYMENT-SIGNATURE` through the private transport; then `complete_call` (the wallet verifies
`σ_new` and `E_new`) and check the cost against the public schedule. A timeout or lost reply is
retried with the SAME request (same bytes, same ticket), never a new one. A penalty halts the
note and surfaces the evidence hash. Streamed replies are relayed event by event; the payment
comes in the final `payment-response` event.

The pieces: `payer_notes` (note choice), `payer_attempt` (binding and proving a ticket),
`payer_retry` (resending the same request), `payer_reply` (checking the reply),
`payer_stream` (relaying a streamed reply), `payer_models` (what the payer hands back).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from anyio import to_thread

from prover.client.client_errors import (
    ClientError,
    GatewayUnreachableError,
    InvalidGatewayReplyError,
    RequestRefusedError,
)
from prover.client.delay import PreSendDelay
from prover.client.payer_attempt import Attempt, bind_ticket, paid_headers, prove_attempt
from prover.client.payer_models import (
    PaidReply,
    StreamedReply,
    gateway_error,
    prepare_request,
    utc_day,
)
from prover.client.payer_notes import NotePicker
from prover.client.payer_reply import ReplyCheck
from prover.client.payer_retry import send_with_retries
from prover.client.payer_stream import open_stream, relay_stream
from prover.client.profile import ProviderPin
from prover.client.request_prover import NoteProver
from prover.client.terms import matching_offer
from prover.client.transport import AsyncPrivateTransport
from prover.client.transport_errors import TransportError
from prover.client.tree_view import TreeView
from prover.client.wallet import NoteBusyError, Wallet
from prover.pricing.schedule import PriceRoute
from prover.wire import HEADER_REQUIRED, PaymentRequired, decode_header
from prover.wire.errors import WireError

__all__ = ["PaidReply", "Payer", "StreamedReply", "prepare_request", "utc_day"]


@dataclass
class Payer:
    """Pays for API calls with the notes of one pinned provider. Use from one event loop."""

    wallet: Wallet
    pin: ProviderPin
    tree: TreeView
    prover: NoteProver
    transport: AsyncPrivateTransport
    delay: PreSendDelay
    clock: Callable[[], float] = time.time
    retries: int = 3
    retry_wait_s: float = 1.0
    busy_wait_s: float = 120.0
    _notes: NotePicker = field(default_factory=NotePicker)
    _terms_checked: bool = False
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    # ------------------------------------------------------------------ helpers

    def url(self, target: str) -> str:
        return self.pin.gateway_url.rstrip("/") + target

    def route(self, method: str, target: str) -> PriceRoute | None:
        return self.pin.price_schedule.route_for(method, target)

    async def ensure_terms(self) -> None:
        """Fetch `PAYMENT-REQUIRED` once (no payment, no body) and check it against the pin."""
        if self._terms_checked:
            return
        first = self.pin.price_schedule.routes[0]
        try:
            reply = await self.transport.request(
                first.method, self.url(first.path), headers={"Accept": "application/json"}
            )
        except TransportError as exc:
            raise GatewayUnreachableError(f"cannot fetch the gateway's terms: {exc}") from exc
        value = reply.headers.get(HEADER_REQUIRED)
        if reply.status_code != 402 or value is None:
            raise InvalidGatewayReplyError(
                f"expected 402 with {HEADER_REQUIRED} from {first.method} {first.path}, "
                f"got {reply.status_code}",
                field=HEADER_REQUIRED,
            )
        try:
            required = decode_header(value, PaymentRequired, HEADER_REQUIRED)
        except WireError as exc:
            raise InvalidGatewayReplyError(str(exc), field=HEADER_REQUIRED) from exc
        matching_offer(required, self.pin)
        self._terms_checked = True

    def _check(self) -> ReplyCheck:
        return ReplyCheck(self.wallet, self.pin.price_schedule)

    async def _prove(self, attempt: Attempt) -> None:
        await prove_attempt(attempt, self.wallet, self.tree, self.prover, self.pin.service.chain_id)

    async def _send(
        self, attempt: Attempt, method: str, target: str, body: bytes, ctype: str | None
    ) -> httpx.Response:
        """Send the bound request; retry the SAME bytes and ticket (see `payer_retry`)."""
        return await send_with_retries(
            self.transport,
            self.url(target),
            attempt,
            method,
            body,
            ctype,
            retries=self.retries,
            wait_s=self.retry_wait_s,
            reprove=lambda: self._prove(attempt),
        )

    # ------------------------------------------------------------------ the call

    async def _prepare(
        self, stack: contextlib.ExitStack, method: str, target: str, body: bytes
    ) -> Attempt:
        await self.ensure_terms()
        today = utc_day(self.clock())
        checkpoint = await to_thread.run_sync(self.tree.newest_checkpoint)
        await self.delay.await_delay()
        service_id = self.pin.service.service_id
        note = await self._notes.pick(
            self.wallet, service_id, today, checkpoint.size, stack, self.busy_wait_s
        )
        ticket = bind_ticket(self.wallet, service_id, note, method, target, body, today)
        attempt = Attempt(note=note, ticket=ticket)
        await self._prove(attempt)
        return attempt

    async def call(
        self, method: str, target: str, body: bytes, content_type: str | None
    ) -> PaidReply:
        """One complete (non-streamed) call. Unsold routes go through unpaid."""
        route = self.route(method, target)
        if route is None:
            return await self.passthrough(method, target, body, content_type)
        prepared = prepare_request(self.pin.price_schedule, route, body)
        body = prepared.body
        with contextlib.ExitStack() as stack:
            attempt = await self._prepare(stack, method, target, body)
            reply = await self._send(attempt, method, target, body, content_type)
            paid = self._check().complete(attempt, reply)
            paid.adjusted = prepared.note
            return paid

    async def passthrough(
        self, method: str, target: str, body: bytes, content_type: str | None
    ) -> PaidReply:
        """A route the schedule does not sell: forwarded unpaid, reply relayed as is."""
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            reply = await self.transport.request(
                method, self.url(target), headers=headers, content=body or None
            )
        except TransportError as exc:
            raise GatewayUnreachableError(str(exc)) from exc
        if reply.status_code >= 400 and reply.headers.get("content-type", "").startswith(
            "application/json"
        ):
            raise gateway_error(reply)  # D8 error → the proxy's OpenAI shape
        return PaidReply(
            status=reply.status_code,
            content_type=reply.headers.get("content-type", "application/json"),
            body=reply.content,
        )

    async def call_stream(
        self, method: str, target: str, body: bytes, content_type: str | None
    ) -> StreamedReply:
        """A streamed chat call: relays events; completes the note from the final event.

        The note stays leased until the stream is consumed or closed. If the application
        goes away early the ticket stays pending; `settle_pending` retries it as is.
        """
        route = self.route(method, target)
        if route is None:
            raise RequestRefusedError(f"{method} {target} is not sold", field="path")
        prepared = prepare_request(self.pin.price_schedule, route, body)
        body = prepared.body
        stack = contextlib.ExitStack()
        try:
            attempt = await self._prepare(stack, method, target, body)
            headers = paid_headers(attempt, content_type, "text/event-stream")
            reply, context = await open_stream(
                self.transport, method, self.url(target), headers, body
            )
        except BaseException:
            stack.close()
            raise
        streamed = await relay_stream(attempt, reply, context, stack, self._check(), self._tasks)
        streamed.adjusted = prepared.note
        return streamed

    # ------------------------------------------------------------------ recovery of pending tickets

    async def settle_pending(self) -> list[int]:
        """Retry every note's pending ticket with exactly its bound request; returns note ids
        settled. A note another process holds is skipped."""
        settled: list[int] = []
        for note in self.wallet.notes():
            if note.pending is None or note.service.service_id != self.pin.service.service_id:
                continue
            with contextlib.ExitStack() as stack:
                try:
                    stack.enter_context(self.wallet.lease(note.id))
                except NoteBusyError:
                    continue
                ticket = note.pending
                attempt = Attempt(note=note, ticket=ticket)
                request = ticket.request
                await self._prove(attempt)
                reply = await self._send(
                    attempt, request.method, request.path, request.body, "application/json"
                )
                with contextlib.suppress(ClientError):
                    self._check().complete(attempt, reply)
                if self.wallet.pending(note.id) is None:
                    settled.append(note.id)
        return settled
