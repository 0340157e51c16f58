"""Sending a bound request until a usable reply comes (PROTOCOL §6: a ticket stays bound).

A timeout, a lost reply or `in_progress` is retried with the SAME request (same bytes, same
ticket), never a new one; a stale root (the checkpoint moved on during retries) re-proves the
same ticket. When no usable reply comes the ticket stays pending, to be retried as is later.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx

from prover.client.client_errors import GatewayUnreachableError
from prover.client.payer_attempt import Attempt, paid_headers
from prover.client.payer_models import gateway_error
from prover.client.transport import AsyncPrivateTransport
from prover.client.transport_errors import TransportError
from prover.wire import HEADER_RESPONSE

RETRY_CODES = frozenset({"in_progress"})


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
    reprove: Callable[[], Awaitable[None]],
) -> httpx.Response:
    """Up to `retries + 1` sends, waiting `wait_s` times the attempt number between them."""
    last: Exception | None = None
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
            last = exc
            continue
        if reply.status_code in (402, 409) and HEADER_RESPONSE not in reply.headers:
            error = gateway_error(reply)
            if error.code in RETRY_CODES:
                last = error
                continue
            if error.code == "stale_root":
                last = error
                await reprove()
                continue
        return reply
    raise GatewayUnreachableError(
        f"no usable reply after {retries + 1} attempts ({last}); the ticket stays "
        "bound to this request and is retried as is"
    )
