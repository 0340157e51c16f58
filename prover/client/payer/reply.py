"""Checking the gateway's answer to a paid call (PROTOCOL v3 §6, client side).

A `PAYMENT-RESPONSE` (a header, or the final `payment-response` event of a stream) is decoded,
the wallet verifies `σ_new` and `E_new` and commits the new state, then the cost is checked
against the public schedule. A cost off the schedule halts the note; a penalty (`p > 0`) halts it
and surfaces the evidence hash; a double-spend refusal halts it. A refusal that says
`ticket: "unreserved"` releases the request (journalled): the ticket, its key and its share are
free for the next request. Any other refusal without a state leaves the request in flight.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import httpx

from prover.client.errors import (
    GatewayError,
    InvalidGatewayReplyError,
    PenaltyChargedError,
)
from prover.client.payer.attempt import Attempt
from prover.client.payer.models import PaidReply, gateway_error
from prover.client.payer.sse import SseSplitter
from prover.client.wallet import NoPendingTicketError, NoteState, Wallet, WalletError
from prover.pricing.schedule import PriceSchedule
from prover.wire import HEADER_RESPONSE, PaymentResponse, decode_header
from prover.wire.errors import WireError


@dataclass(frozen=True)
class ReplyCheck:
    """The wallet that commits a reply and the pinned schedule its cost must follow."""

    wallet: Wallet
    schedule: PriceSchedule

    def finish(self, note_id: int, value: str) -> tuple[NoteState, PaymentResponse]:
        """Decode PAYMENT-RESPONSE, let the wallet verify and commit it, check the cost."""
        try:
            response = decode_header(value, PaymentResponse, HEADER_RESPONSE)
        except WireError as exc:
            raise InvalidGatewayReplyError(str(exc), field=HEADER_RESPONSE) from exc
        try:
            state = self.wallet.complete_call(note_id, response)
        except WalletError as exc:
            raise InvalidGatewayReplyError(
                f"the gateway's signed state is invalid ({exc}); the request stays in flight",
                field=exc.field,
            ) from exc
        if not self.schedule.is_valid_cost(response.cost):
            self.wallet.halt(note_id)
            raise InvalidGatewayReplyError(
                f"cost {response.cost} is not a multiple of the quantum "
                f"{self.schedule.quantum} in [0, c_max]: note halted",
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

    def refused(self, attempt: Attempt, reply: httpx.Response) -> GatewayError:
        """A refusal without a state: release the request if the ticket was not reserved, halt
        the note on a double spend; the error to raise."""
        error = gateway_error(reply)
        if error.unreserved:
            self.release(attempt, sent=True, reason=f"{error.code} (unreserved)")
        elif error.code == "double_spend":
            self.wallet.halt(attempt.note.id)
        return error

    def release(self, attempt: Attempt, *, sent: bool, reason: str) -> None:
        """The request is over without a reply; the ticket stays, free (idempotent)."""
        with contextlib.suppress(NoPendingTicketError):  # already released, or completed
            self.wallet.release_call(
                attempt.note.id, attempt.request.request_id, sent=sent, reason=reason
            )

    def complete(self, attempt: Attempt, reply: httpx.Response) -> PaidReply:
        """A complete reply: commit its payment, then relay it (or raise the gateway's error).
        A refusal that carries a state (`upstream_error`, `response_expired`, `ticket_reserved`
        once the reserved request was served) completes the note, then raises."""
        value = reply.headers.get(HEADER_RESPONSE)
        if value is None:
            raise self.refused(attempt, reply)
        state, response = self.finish(attempt.note.id, value)
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

    def settle_stream(self, note_id: int, splitter: SseSplitter) -> None:
        """A stream that ended: commit the payment of its final `payment-response` event."""
        if splitter.payment is None:
            message = splitter.error or "the stream ended without a payment-response event"
            raise InvalidGatewayReplyError(message, field="payment-response")
        self.finish(note_id, splitter.payment)
