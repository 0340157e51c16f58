"""The payer: one paid API call on one note (PROTOCOL v3 §6 client side, §8, §9, §13).

For each call: refuse an over-cap request before anything else; fetch the gateway's 402 terms
once and check them against the pinned vault values; wait a fresh random pre-send delay; lease a
payable note AT RANDOM (preferring notes whose next proof is ready); if a request is still in
flight on it, resend that first (`settle`); journal the request on the note's ticket
BEFORE it is sent; take the ticket's proof (made ahead of time by `ProofKeeper`, or now), sign
the request with the ticket's one-time key and send it with `PAYMENT-SIGNATURE` through the
private transport; then `complete_call` (the wallet verifies `σ_new` and `E_new`) and check the
cost against the public schedule. Right after a reply the note's next proof is made in the
background.

A refusal that says `ticket: "unreserved"` releases the request; a stale root or a request
signed before a UTC midnight is then sent again on the same ticket (a fresh request id, a newer
root or the new day, a new proof), any other such refusal goes back to the application. A
timeout or lost reply is retried with the SAME bytes; an unknown outcome leaves the request in
flight. A penalty halts the note and surfaces the evidence hash. Streamed replies are relayed
event by event; the payment comes in the final `payment-response` event.

The pieces: `note_choice` (note choice), `attempt` (journalling, proof, header),
`retry` (resending the same bytes), `reply` (checking the answer), `settle`
(requests left in flight), `stream` (relaying a stream), `models` (what comes back).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from prover.client.errors import (
    GatewayError,
    GatewayUnreachableError,
    InvalidGatewayReplyError,
    RequestNotSent,
    RequestRefusedError,
)
from prover.client.payer.attempt import Attempt, bind, new_request, paid_headers, sign_header
from prover.client.payer.models import (
    PaidReply,
    StreamedReply,
    gateway_error,
    prepare_request,
    today_refused,
    utc_day,
)
from prover.client.payer.note_choice import NotePicker
from prover.client.payer.ready_proofs import ProofKeeper
from prover.client.payer.reply import ReplyCheck
from prover.client.payer.retry import send_with_retries
from prover.client.payer.settle import settle_in_flight, settle_note
from prover.client.payer.stream import open_stream, relay_stream
from prover.client.profile import ProviderPin
from prover.client.terms import matching_offer
from prover.client.transport.delay import PreSendDelay
from prover.client.transport.errors import TransportError
from prover.client.transport.private import AsyncPrivateTransport
from prover.client.wallet import Note, Wallet
from prover.pricing.schedule import PriceRoute
from prover.wire import HEADER_REQUIRED, PaymentRequired, decode_header
from prover.wire.errors import WireError

__all__ = ["PaidReply", "Payer", "StreamedReply", "prepare_request", "utc_day"]

MAX_ROUNDS = 3
"""Sends of one application request on one ticket: the first, then after a stale root or a new
UTC day (each time refused before any reservation), or after `ticket_reserved` completed the
ticket with another request's state (then on the note's next ticket)."""


@dataclass
class Payer:
    """Pays for API calls with the notes of one pinned provider. Use from one event loop."""

    wallet: Wallet
    pin: ProviderPin
    proofs: ProofKeeper
    transport: AsyncPrivateTransport
    delay: PreSendDelay
    clock: Callable[[], float] = time.time
    retries: int = 3
    retry_wait_s: float = 1.0
    busy_wait_s: float = 120.0
    notes: NotePicker = field(default_factory=NotePicker)
    _terms_checked: bool = False
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    # ------------------------------------------------------------------ helpers

    def url(self, target: str) -> str:
        return self.pin.gateway_url.rstrip("/") + target

    def route(self, method: str, target: str) -> PriceRoute | None:
        return self.pin.price_schedule.route_for(method, target)

    @property
    def service_id(self) -> int:
        return self.pin.service.service_id

    def check(self) -> ReplyCheck:
        return ReplyCheck(self.wallet, self.pin.price_schedule)

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

    async def prove(self, attempt: Attempt) -> None:
        """The attempt's proof (ready, or made now) and its signed header."""
        today = attempt.request.today
        proof = await self.proofs.proof_for(attempt.note, attempt.ticket, today)
        sign_header(attempt, proof, self.pin.service.chain_id)

    async def send(
        self, attempt: Attempt, method: str, target: str, body: bytes, ctype: str | None
    ) -> httpx.Response:
        """Send the request in flight; retry the SAME bytes (see `retry`). Nothing sent at
        all: the request is released (the ticket stays free) and the error raised."""
        try:
            return await send_with_retries(
                self.transport, self.url(target), attempt, method, body, ctype,
                retries=self.retries, wait_s=self.retry_wait_s,
            )  # fmt: skip
        except RequestNotSent:
            self.check().release(attempt, sent=False, reason="not sent: gateway unreachable")
            raise

    def after_reply(self, note_id: int) -> None:
        """The note's ticket was consumed: the next one's key and proof, made in the background
        now."""
        self.proofs.schedule(note_id, replace=True)

    # ------------------------------------------------------------------ the call

    async def _lease(self, stack: contextlib.ExitStack) -> tuple[Note, int]:
        """Terms, delay, a random payable note (leased with `stack`), with nothing in flight
        (a request left in flight on it is resent first); returns it and today's day."""
        await self.ensure_terms()
        checkpoint = await self.proofs.checkpoint()
        await self.delay.await_delay()
        today = utc_day(self.clock())
        note = await self.notes.pick(
            self.wallet, self.service_id, today, checkpoint.size, stack, self.busy_wait_s,
            prefer=self.proofs.ready_notes,
        )  # fmt: skip
        if note.in_flight is not None:
            await settle_note(self, note)
            note = self.wallet.note(note.id)
        return note, today

    async def _attempt(
        self, note: Note, method: str, target: str, body: bytes, today: int
    ) -> Attempt:
        attempt = bind(self.wallet, note, new_request(self.service_id, method, target, body, today))
        await self.prove(attempt)
        return attempt

    async def _retry_after(self, error: GatewayError, note_id: int) -> int | None:
        """After a refusal: the day to send the same request again with, or None (raise)."""
        if error.code == "ticket_reserved" and self.wallet.note(note_id).ticket is None:
            self.after_reply(note_id)
            return utc_day(self.clock())  # the ticket completed with another request's state
        if not error.unreserved:
            return None
        if error.code == "stale_root":
            await self.proofs.refresh()
            return utc_day(self.clock())
        if today_refused(error):
            return utc_day(self.clock())
        return None

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
            note, today = await self._lease(stack)
            for round_no in range(MAX_ROUNDS):
                attempt = await self._attempt(note, method, target, body, today)
                reply = await self.send(attempt, method, target, body, content_type)
                try:
                    paid = self.check().complete(attempt, reply)
                except GatewayError as exc:
                    day = await self._retry_after(exc, note.id)
                    if day is None or round_no + 1 == MAX_ROUNDS:
                        raise
                    note, today = self.wallet.note(note.id), day
                    continue
                self.after_reply(note.id)
                paid.adjusted = prepared.note
                return paid
        raise AssertionError("unreachable: the last round raises or returns")

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

        The note stays leased until the stream is consumed or closed. If the application goes
        away early the stream is still read to its end and paid; if it breaks, the request
        stays in flight and is resent before the note's next call.
        """
        route = self.route(method, target)
        if route is None:
            raise RequestRefusedError(f"{method} {target} is not sold", field="path")
        prepared = prepare_request(self.pin.price_schedule, route, body)
        body = prepared.body
        stack = contextlib.ExitStack()
        try:
            note, today = await self._lease(stack)
            attempt = await self._attempt(note, method, target, body, today)
            headers = paid_headers(attempt, content_type, "text/event-stream")
            check = self.check()
            reply, context = await open_stream(
                self.transport, method, self.url(target), headers, body,
                on_not_sent=lambda: check.release(attempt, sent=False, reason="not sent"),
            )  # fmt: skip
        except BaseException:
            stack.close()
            raise
        stack.callback(self.after_reply, note.id)
        streamed = await relay_stream(attempt, reply, context, stack, check, self._tasks)
        streamed.adjusted = prepared.note
        return streamed

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> list[int]:
        """For the long-running service: resend requests left in flight, then start keeping
        proofs ready (and the newest checkpoint fresh). Returns the notes settled."""
        settled = await self.settle_pending()
        await self.proofs.start()
        return settled

    async def stop(self) -> None:
        await self.proofs.stop()

    # ------------------------------------------------------------------ requests left in flight

    async def settle_pending(self) -> list[int]:
        """Resend every request left in flight (run when the service starts); returns the ids
        of the notes that have none left. A note another process holds is skipped."""
        return await settle_in_flight(self)
