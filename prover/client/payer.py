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
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import httpx
from anyio import to_thread

from prover.client.client_errors import (
    ClientError,
    GatewayUnreachableError,
    InvalidGatewayReplyError,
    NoPayableNoteError,
    NotesBusyError,
    PenaltyChargedError,
    RequestRefusedError,
)
from prover.client.delay import PreSendDelay
from prover.client.payer_models import (
    PaidReply,
    StreamedReply,
    check_cap,
    drain_queue,
    gateway_error,
    utc_day,
)
from prover.client.profile import ProviderPin
from prover.client.request_prover import CallProof, NoteProver
from prover.client.sse import SseSplitter, is_done_event
from prover.client.terms import matching_offer
from prover.client.transport import AsyncPrivateTransport
from prover.client.transport_errors import TransportError
from prover.client.tree_view import TreeView
from prover.client.wallet import (
    Note,
    NoteBusyError,
    NoteState,
    PendingTicket,
    Wallet,
    WalletError,
)
from prover.crypto import RequestFields
from prover.crypto.errors import CryptoError
from prover.pricing.schedule import PriceRoute
from prover.wire import (
    HEADER_REQUIRED,
    HEADER_RESPONSE,
    HEADER_SIGNATURE,
    SCHEME,
    X402_VERSION,
    PaymentPayload,
    PaymentRequired,
    PaymentResponse,
    PaymentSignature,
    decode_header,
    encode_header,
)
from prover.wire.errors import WireError

__all__ = ["PaidReply", "Payer", "StreamedReply", "check_cap", "utc_day"]

RETRY_CODES = frozenset({"in_progress"})
BUSY_POLL_S = 0.05


@dataclass
class _Attempt:
    note: Note
    ticket: PendingTicket
    proof: CallProof | None = None
    header: str | None = None


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
    _busy: set[int] = field(default_factory=set)
    _terms_checked: bool = False
    _rng: random.Random = field(default_factory=random.SystemRandom)
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

    # ------------------------------------------------------------------ note choice

    async def _checkpoint_size(self) -> int:
        checkpoint = await to_thread.run_sync(self.tree.newest_checkpoint)
        return checkpoint.size

    def _usable(self, today: int, size: int) -> list[Note]:
        return [
            note
            for note in self.wallet.payable_notes(self.pin.service.service_id, today)
            if note.deposit is not None and note.deposit.leaf_index < size
        ]

    def _lease(self, candidates: list[Note], stack: contextlib.ExitStack) -> Note:
        """Lease a random free note among `candidates` (PROTOCOL §13: random pick per call)."""
        order = list(candidates)
        self._rng.shuffle(order)
        for note in order:
            if note.id in self._busy:
                continue
            try:
                stack.enter_context(self.wallet.lease(note.id))
            except NoteBusyError:
                continue
            self._busy.add(note.id)
            stack.callback(self._busy.discard, note.id)
            return note
        raise NotesBusyError(f"all {len(candidates)} payable notes are serving other calls")

    # ------------------------------------------------------------------ proving and sending

    async def _prove(self, attempt: _Attempt) -> None:
        note = self.wallet.note(attempt.note.id)
        path = await to_thread.run_sync(self.tree.merkle_proof, note.deposit.leaf_index)  # type: ignore[union-attr]
        proof = await to_thread.run_sync(self.prover.prove, note, attempt.ticket, path)
        payload = PaymentPayload(
            proof=proof.calldata,
            public_signals=proof.public_signals,
            request_id=attempt.ticket.request.request_id,
            today=attempt.ticket.request.today,
        )
        signature = PaymentSignature(
            x402_version=X402_VERSION,
            scheme=SCHEME,
            network=f"eip155:{self.pin.service.chain_id}",
            payload=payload,
        )
        attempt.proof = proof
        attempt.header = encode_header(signature)

    def _headers(self, attempt: _Attempt, content_type: str | None, accept: str) -> dict[str, str]:
        assert attempt.header is not None
        headers = {HEADER_SIGNATURE: attempt.header, "Accept": accept}
        if content_type:
            headers["Content-Type"] = content_type
        return headers

    def _bind(self, note: Note, method: str, target: str, body: bytes, today: int) -> PendingTicket:
        while True:
            try:
                fields = RequestFields.create(
                    method=method,
                    path=target,
                    body=body,
                    service_id=self.pin.service.service_id,
                    today=today,
                    request_id=secrets.token_bytes(16),
                )
            except CryptoError as exc:
                raise RequestRefusedError(
                    f"request cannot be bound: {exc}", field="request"
                ) from exc
            try:
                return self.wallet.begin_call(note.id, fields)
            except WalletError as exc:
                if exc.field == "x":
                    continue  # x = 0 (≈ 2^-254): draw a new request id
                raise

    def _finish(self, attempt: _Attempt, value: str) -> tuple[NoteState, PaymentResponse]:
        """Decode PAYMENT-RESPONSE, let the wallet verify and commit it, check the cost."""
        try:
            response = decode_header(value, PaymentResponse, HEADER_RESPONSE)
        except WireError as exc:
            raise InvalidGatewayReplyError(str(exc), field=HEADER_RESPONSE) from exc
        note_id = attempt.note.id
        try:
            state = self.wallet.complete_call(note_id, response)
        except WalletError as exc:
            raise InvalidGatewayReplyError(
                f"the gateway's signed state is invalid ({exc}); the ticket stays pending",
                field=exc.field,
            ) from exc
        if not self.pin.price_schedule.is_valid_cost(response.cost):
            self.wallet.halt(note_id)
            raise InvalidGatewayReplyError(
                f"cost {response.cost} is not a multiple of the quantum "
                f"{self.pin.price_schedule.quantum} in [0, c_max]: note halted",
                field="cost",
            )
        if response.p > 0:
            evidence = response.evidence_hash
            raise PenaltyChargedError(
                f"the gateway charged the policy penalty {response.p} on note {note_id}: the "
                f"note is halted; evidence hash 0x{evidence.hex()}",
                evidence_hash=evidence,
            )
        return state, response

    async def _send(
        self, attempt: _Attempt, method: str, target: str, body: bytes, ctype: str | None
    ) -> httpx.Response:
        """Send the bound request; retry the SAME bytes and ticket on a timeout or in_progress.

        A stale root (the checkpoint moved on during retries) re-proves the same ticket.
        """
        last: Exception | None = None
        for attempt_no in range(self.retries + 1):
            if attempt_no:
                await asyncio.sleep(self.retry_wait_s * attempt_no)
            try:
                reply = await self.transport.request(
                    method,
                    self.url(target),
                    headers=self._headers(attempt, ctype, "application/json"),
                    content=body,
                )
            except TransportError as exc:
                last = exc
                continue
            if reply.status_code in (402, 409) and HEADER_RESPONSE not in reply.headers:
                error = gateway_error(reply)
                if error.code in RETRY_CODES:
                    last = error
                    continue
                if error.code == "stale_root":
                    last = error
                    await self._prove(attempt)
                    continue
            return reply
        raise GatewayUnreachableError(
            f"no usable reply after {self.retries + 1} attempts ({last}); the ticket stays "
            "bound to this request and is retried as is"
        )

    # ------------------------------------------------------------------ the call

    async def _prepare(
        self, stack: contextlib.ExitStack, method: str, target: str, body: bytes
    ) -> _Attempt:
        await self.ensure_terms()
        today = utc_day(self.clock())
        size = await self._checkpoint_size()
        await self.delay.await_delay()
        deadline = time.monotonic() + self.busy_wait_s
        while True:  # calls on one note are serialised: wait while our notes are in flight
            candidates = self._usable(today, size)
            if candidates:
                try:
                    note = self._lease(candidates, stack)
                    break
                except NotesBusyError:
                    pass
            elif not self._busy:
                raise NoPayableNoteError(
                    "no note can pay: deposit one (`zkcredits client deposit`), or wait for the "
                    "next checkpoint after a deposit"
                )
            if time.monotonic() >= deadline:
                raise NotesBusyError(
                    f"every payable note stayed busy for {self.busy_wait_s} s (one call per note)"
                )
            await asyncio.sleep(BUSY_POLL_S)
        ticket = self._bind(note, method, target, body, today)
        attempt = _Attempt(note=note, ticket=ticket)
        await self._prove(attempt)
        return attempt

    async def call(
        self, method: str, target: str, body: bytes, content_type: str | None
    ) -> PaidReply:
        """One complete (non-streamed) call. Unsold routes go through unpaid."""
        route = self.route(method, target)
        if route is None:
            return await self.passthrough(method, target, body, content_type)
        check_cap(route, body)
        with contextlib.ExitStack() as stack:
            attempt = await self._prepare(stack, method, target, body)
            reply = await self._send(attempt, method, target, body, content_type)
            return self._complete(attempt, reply)

    def _complete(self, attempt: _Attempt, reply: httpx.Response) -> PaidReply:
        value = reply.headers.get(HEADER_RESPONSE)
        if value is None:
            error = gateway_error(reply)
            if error.code == "double_spend":
                self.wallet.halt(attempt.note.id)
            raise error
        state, response = self._finish(attempt, value)
        if reply.status_code >= 400:
            raise gateway_error(reply)
        return PaidReply(
            status=reply.status_code,
            content_type=reply.headers.get("content-type", "application/json"),
            body=reply.content,
            note_id=attempt.note.id,
            cost=response.cost,
            state=state,
        )

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
        check_cap(route, body)
        stack = contextlib.ExitStack()
        try:
            attempt = await self._prepare(stack, method, target, body)
            context = self.transport.stream(
                method,
                self.url(target),
                headers=self._headers(attempt, content_type, "text/event-stream"),
                content=body,
            )
            try:
                reply = await context.__aenter__()
            except TransportError as exc:
                raise GatewayUnreachableError(
                    f"{exc}; the ticket stays bound to this request and is retried as is"
                ) from exc
        except BaseException:
            stack.close()
            raise
        if not reply.headers.get("content-type", "").startswith("text/event-stream"):
            try:
                await reply.aread()
                result = self._complete(attempt, reply)
            finally:
                await context.__aexit__(None, None, None)
                stack.close()

            async def single() -> AsyncIterator[bytes]:
                yield result.body

            return StreamedReply(reply.status_code, result.content_type, single(), attempt.note.id)
        queue: asyncio.Queue[bytes | Exception | None] = asyncio.Queue()
        task = asyncio.get_running_loop().create_task(
            self._pump(attempt, reply, context, stack, queue)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return StreamedReply(
            status=reply.status_code,
            content_type=reply.headers.get("content-type", "text/event-stream"),
            events=drain_queue(queue),
            note_id=attempt.note.id,
        )

    async def _pump(
        self,
        attempt: _Attempt,
        reply: httpx.Response,
        context: contextlib.AbstractAsyncContextManager[httpx.Response],
        stack: contextlib.ExitStack,
        queue: asyncio.Queue[bytes | Exception | None],
    ) -> None:
        """Read the gateway's stream to its end whatever the application does, commit the
        payment, and only then release `data: [DONE]` (clients such as the openai SDK hang up
        at [DONE]). Runs as its own task: an application that goes away does not stop it."""
        splitter = SseSplitter()
        held: list[bytes] = []

        def route(events: list[bytes]) -> None:
            for event in events:
                if is_done_event(event):
                    held.append(event)
                else:
                    queue.put_nowait(event)

        try:
            try:
                async for chunk in reply.aiter_raw():
                    route(splitter.feed(chunk))
                route(splitter.finish())
            except httpx.HTTPError as exc:
                raise GatewayUnreachableError(
                    f"the stream broke ({exc}); the ticket stays bound and is retried as is"
                ) from exc
            self._settle_stream(attempt, splitter)
            for event in held:
                queue.put_nowait(event)
        except Exception as exc:  # handed to the application's side of the stream
            queue.put_nowait(exc)
        finally:
            try:
                await context.__aexit__(None, None, None)
            finally:
                stack.close()
                queue.put_nowait(None)

    def _settle_stream(self, attempt: _Attempt, splitter: SseSplitter) -> None:
        if splitter.payment is None:
            message = splitter.error or "the stream ended without a payment-response event"
            raise InvalidGatewayReplyError(message, field="payment-response")
        self._finish(attempt, splitter.payment)

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
                attempt = _Attempt(note=note, ticket=ticket)
                request = ticket.request
                await self._prove(attempt)
                reply = await self._send(
                    attempt, request.method, request.path, request.body, "application/json"
                )
                with contextlib.suppress(ClientError):
                    self._complete(attempt, reply)
                if self.wallet.pending(note.id) is None:
                    settled.append(note.id)
        return settled
