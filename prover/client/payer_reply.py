"""Checking the gateway's reply to a paid call (PROTOCOL §6, client side).

The `PAYMENT-RESPONSE` (a header, or the final `payment-response` event of a stream) is decoded,
the wallet verifies `σ_new` and `E_new` and commits the new state, then the cost is checked
against the public schedule. A cost off the schedule halts the note; a penalty (`p > 0`) halts it
and surfaces the evidence hash; a double-spend refusal halts it.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from prover.client.client_errors import InvalidGatewayReplyError, PenaltyChargedError
from prover.client.payer_attempt import Attempt
from prover.client.payer_models import PaidReply, gateway_error
from prover.client.sse import SseSplitter
from prover.client.wallet import NoteState, Wallet, WalletError
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
                f"the gateway's signed state is invalid ({exc}); the ticket stays pending",
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

    def complete(self, attempt: Attempt, reply: httpx.Response) -> PaidReply:
        """A complete reply: commit its payment, then relay it (or raise the gateway's error)."""
        value = reply.headers.get(HEADER_RESPONSE)
        if value is None:
            error = gateway_error(reply)
            if error.code == "double_spend":
                self.wallet.halt(attempt.note.id)
            raise error
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
