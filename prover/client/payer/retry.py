"""Sending a request in flight until a usable answer comes (PROTOCOL v3 §6, §9).

A timeout, a lost reply, `in_progress` or a gateway hiccup (503 without `ticket: unreserved`)
is retried with the SAME bytes (same request, same ticket). A failure before the first attempt
left the machine (no connection) is `RequestNotSent`: the caller releases the request, the ticket
is free. After every retry the request stays in flight (`GatewayUnreachableError`): the next use
of the note resends it first.
"""

from __future__ import annotations

import asyncio

import httpx

from prover.client.errors import GatewayUnreachableError, RequestNotSent
from prover.client.payer.attempt import Attempt, paid_headers
from prover.client.payer.models import gateway_error
from prover.client.transport.errors import TransportError
from prover.client.transport.private import AsyncPrivateTransport
from prover.wire import HEADER_RESPONSE

RETRY_CODES = frozenset({"in_progress"})


def _retry_worthy(reply: httpx.Response) -> bool:
    """No state, not a definitive refusal: `in_progress`, or a 503 that does not say the ticket
    was left unreserved (the gateway failed somewhere; the same bytes are safe to resend)."""
    if HEADER_RESPONSE in reply.headers:
        return False
    if reply.status_code in (409, 503):
        error = gateway_error(reply)
        return error.code in RETRY_CODES or (reply.status_code == 503 and not error.unreserved)
    return False


async def send_with_retries(
    transport: AsyncPrivateTransport,
    url: str,
    attempt: Attempt,
    method: str,
    body: bytes,
    content_type: str | None,
    *,
    retries: int,
    wait_s: float,
) -> httpx.Response:
    """Up to `retries + 1` sends of the same bytes, waiting `wait_s` times the attempt number."""
    last: Exception | None = None
    maybe_sent = False
    for attempt_no in range(retries + 1):
        if attempt_no:
            await asyncio.sleep(wait_s * attempt_no)
        try:
            reply = await transport.request(
                method,
                url,
                headers=paid_headers(attempt, content_type, "application/json"),
                content=body,
            )
        except TransportError as exc:
            maybe_sent = maybe_sent or exc.sent
            last = exc
            if not maybe_sent:
                break  # the gateway is not even reachable: nothing to wait for
            continue
        if _retry_worthy(reply) and attempt_no < retries:
            last = gateway_error(reply)
            maybe_sent = True
            continue
        return reply
    if not maybe_sent:
        raise RequestNotSent(
            f"the gateway could not be reached ({last}); nothing was sent, the ticket is free"
        )
    raise GatewayUnreachableError(
        f"no usable reply after {retries + 1} attempts ({last}); the request stays in flight on "
        "its ticket and is resent before the note's next call"
    )
