"""What the payer hands back, and its small pure helpers (no wallet, no network)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

from prover.client.errors import GatewayError, PreflightRefusedError
from prover.client.wallet import NoteState
from prover.pricing import preflight
from prover.pricing.errors import PreflightRefused
from prover.pricing.preflight import Adjusted
from prover.pricing.schedule import PriceRoute, PriceSchedule

DAY = 86_400


def utc_day(now: float) -> int:
    return int(now) // DAY


def today_refused(error: GatewayError) -> bool:
    """The gateway refused the request's day (a request signed before a UTC midnight)."""
    return error.code == "bad_request" and error.field == "today"


def prepare_request(schedule: PriceSchedule, route: PriceRoute, body: bytes) -> Adjusted:
    """Before binding: the gateway's pre-flight on this request (`prover.pricing.preflight`),
    bringing a request with no work cap within `c_max` (`adjusted.note` says what changed);
    a request that cannot be is refused here, before any ticket is bound."""
    try:
        return preflight.adjust(schedule, route, body)
    except PreflightRefused as exc:
        raise PreflightRefusedError(exc) from exc


async def drain_queue(queue: asyncio.Queue[bytes | Exception | None]) -> AsyncIterator[bytes]:
    while (item := await queue.get()) is not None:
        if isinstance(item, Exception):
            raise item
        yield item


@dataclass
class PaidReply:
    """A complete reply to the local application, with what the call cost."""

    status: int
    content_type: str
    body: bytes
    note_id: int | None = None
    cost: int | None = None
    state: NoteState | None = None
    adjusted: str | None = None  # what the pre-flight changed in the request (a header says so)


@dataclass
class StreamedReply:
    """A streamed reply: relay `events()`; the note is completed when it ends."""

    status: int
    content_type: str
    events: AsyncIterator[bytes]
    note_id: int
    adjusted: str | None = None  # as PaidReply


def gateway_error(reply: httpx.Response) -> GatewayError:
    """The gateway's D8 error of `reply` (`unreserved` only if it says `ticket: "unreserved"`)."""
    code, message, field_name, unreserved = (
        "gateway_error",
        f"HTTP {reply.status_code}",
        None,
        False,
    )
    try:
        detail = json.loads(reply.content)["error"]
        code = str(detail.get("code", code))
        message = str(detail.get("message", message))
        field_name = detail.get("field")
        unreserved = detail.get("ticket") == "unreserved"
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, AttributeError):
        pass
    return GatewayError(
        code, message, status=reply.status_code, field=field_name, unreserved=unreserved
    )
