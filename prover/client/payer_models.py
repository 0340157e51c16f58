"""What the payer hands back, and its small pure helpers (no wallet, no network)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

from prover.client.client_errors import GatewayError, RequestRefusedError
from prover.client.wallet import NoteState
from prover.pricing.schedule import PriceRoute, RouteKind

DAY = 86_400


def utc_day(now: float) -> int:
    return int(now) // DAY


def today_refused(error: GatewayError) -> bool:
    """The gateway refused the request's day (a request signed before a UTC midnight)."""
    return error.code == "bad_request" and error.field == "today"


def check_cap(route: PriceRoute, body: bytes) -> None:
    """Refuse a chat request asking for more output than the schedule sells (before proving)."""
    if route.kind is not RouteKind.CHAT:
        return
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RequestRefusedError("chat request body is not JSON", field="body") from exc
    if not isinstance(parsed, dict):
        raise RequestRefusedError("chat request body must be a JSON object", field="body")
    for name in ("max_tokens", "max_completion_tokens"):
        asked = parsed.get(name)
        if asked is None:
            continue
        if type(asked) is not int or asked < 0:
            raise RequestRefusedError(f"{name} must be a non-negative integer", field=name)
        if asked > route.max_output_tokens:
            raise RequestRefusedError(
                f"{name}={asked} exceeds the price schedule's cap of "
                f"{route.max_output_tokens} output tokens per call (c_max)",
                field=name,
            )


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


@dataclass
class StreamedReply:
    """A streamed reply: relay `events()`; the note is completed when it ends."""

    status: int
    content_type: str
    events: AsyncIterator[bytes]
    note_id: int


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
