"""Server-sent events: split a byte stream into whole events, read an event's `data`."""

from __future__ import annotations

import re

_BOUNDARY = re.compile(rb"\r\n\r\n|\n\n|\r\r")
DONE_EVENT = b"data: [DONE]\n\n"


class EventSplitter:
    """Feed raw bytes; get back complete events, each with its terminating blank line."""

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        events: list[bytes] = []
        while True:
            match = _BOUNDARY.search(self._buf)
            if match is None:
                return events
            events.append(self._buf[: match.end()])
            self._buf = self._buf[match.end() :]

    def rest(self) -> bytes:
        """Bytes after the last complete event (an unterminated event at end of stream)."""
        return self._buf


def event_data(event: bytes) -> str | None:
    """The event's `data:` lines joined by newlines, or None if it has none (comment, keepalive)."""
    lines = re.split(rb"\r\n|\n|\r", event)
    data = [
        line[5:].removeprefix(b" ")
        for line in lines
        if line == b"data" or line.startswith(b"data:")
    ]
    if not data:
        return None
    return b"\n".join(data).decode("utf-8", errors="replace")
