"""ASGI middleware recording what the embedded upstream received, byte for byte.

Every response carries `X-Embedded-Request-Sha256`, the SHA-256 of
`u32be(len(method)) ‖ method ‖ u32be(len(target)) ‖ target ‖ body` where `target` is the raw path
plus `?query` as received; in-process tests can also read `app.state.received` (the last 64).
This is how the tests show the gateway forwards the canonical bytes unchanged.
"""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DIGEST_HEADER = "x-embedded-request-sha256"


@dataclass(frozen=True)
class Received:
    method: str
    target: bytes
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes

    def digest(self) -> str:
        return request_sha256(self.method, self.target, self.body)


def request_sha256(method: str, target: bytes, body: bytes) -> str:
    m = method.encode("ascii")
    framed = len(m).to_bytes(4, "big") + m + len(target).to_bytes(4, "big") + target + body
    return hashlib.sha256(framed).hexdigest()


class RecordRequests:
    def __init__(self, app: ASGIApp, log: deque[Received]) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        target = bytes(scope.get("raw_path") or scope["path"].encode())
        if scope.get("query_string"):
            target += b"?" + bytes(scope["query_string"])
        headers: Any = scope.get("headers", [])
        record = Received(scope["method"], target, tuple(headers), bytes(body))
        self.log.append(record)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": record.body, "more_body": False}
            return await receive()

        async def send_with_digest(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [(DIGEST_HEADER.encode(), record.digest().encode())]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, replay, send_with_digest)
