"""Relaying a streamed paid reply (PROTOCOL §9: the payment comes in the final event).

The gateway's server-sent events are relayed to the application one by one, except the final
`payment-response` event: the stream is read to its end whatever the application does, the
payment is committed, and only then is `data: [DONE]` released. A reply that is not a stream is
completed like a plain call and relayed as one chunk.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import TypeAlias

import httpx

from prover.client.errors import GatewayUnreachableError
from prover.client.payer.attempt import Attempt
from prover.client.payer.models import StreamedReply, drain_queue
from prover.client.payer.reply import ReplyCheck
from prover.client.payer.sse import SseSplitter, is_done_event
from prover.client.transport.errors import TransportError
from prover.client.transport.private import AsyncPrivateTransport

Opened: TypeAlias = contextlib.AbstractAsyncContextManager[httpx.Response]
EventQueue: TypeAlias = asyncio.Queue[bytes | Exception | None]


async def open_stream(
    transport: AsyncPrivateTransport,
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    on_not_sent: Callable[[], None],
) -> tuple[httpx.Response, Opened]:
    """Send the paid request; the reply comes back with its body unread (close `Opened`). If
    nothing left the machine, `on_not_sent` releases the request (the ticket is free)."""
    context = transport.stream(method, url, headers=headers, content=body)
    try:
        reply = await context.__aenter__()
    except TransportError as exc:
        if not exc.sent:
            on_not_sent()
            raise GatewayUnreachableError(f"{exc}; nothing was sent, the ticket is free") from exc
        raise GatewayUnreachableError(
            f"{exc}; the request stays in flight on its ticket and is resent before the note's "
            "next call"
        ) from exc
    return reply, context


async def relay_stream(
    attempt: Attempt,
    reply: httpx.Response,
    context: Opened,
    stack: contextlib.ExitStack,
    check: ReplyCheck,
    tasks: set[asyncio.Task[None]],
) -> StreamedReply:
    """Hand the reply to the application. `stack` (the note's lease) closes when the gateway's
    stream is over; the pump task is kept in `tasks` while it runs."""
    if not reply.headers.get("content-type", "").startswith("text/event-stream"):
        try:
            await reply.aread()
            result = check.complete(attempt, reply)
        finally:
            await context.__aexit__(None, None, None)
            stack.close()

        async def single() -> AsyncIterator[bytes]:
            yield result.body

        return StreamedReply(reply.status_code, result.content_type, single(), attempt.note.id)
    queue: EventQueue = asyncio.Queue()
    task = asyncio.get_running_loop().create_task(
        _pump(attempt, reply, context, stack, check, queue)
    )
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return StreamedReply(
        status=reply.status_code,
        content_type=reply.headers.get("content-type", "text/event-stream"),
        events=drain_queue(queue),
        note_id=attempt.note.id,
    )


async def _pump(
    attempt: Attempt,
    reply: httpx.Response,
    context: Opened,
    stack: contextlib.ExitStack,
    check: ReplyCheck,
    queue: EventQueue,
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
                f"the stream broke ({exc}); the request stays in flight and is resent before "
                "the note's next call"
            ) from exc
        check.settle_stream(attempt.note.id, splitter)
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
