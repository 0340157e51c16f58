"""Splitting a gateway's server-sent event stream: relay the API's events, keep the payment.

A streamed paid call ends with one `event: payment-response` whose data is the base64
`PAYMENT-RESPONSE` value (or `event: error` with the D8 error body). The local proxy relays
every other event unchanged and never shows those two to the application.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

PAYMENT_EVENT = "payment-response"
ERROR_EVENT = "error"
_BOUNDARY = re.compile(rb"\r\n\r\n|\n\n|\r\r")


@dataclass
class SseEvent:
    raw: bytes
    event: str | None
    data: str


def parse_event(raw: bytes) -> SseEvent:
    event: str | None = None
    data: list[str] = []
    for line in raw.decode("utf-8", errors="replace").splitlines():
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
    return SseEvent(raw=raw, event=event, data="\n".join(data))


@dataclass
class SseSplitter:
    """Feed byte chunks; get back complete events (with their terminating blank line)."""

    _buffer: bytes = b""
    payment: str | None = None
    error: str | None = None
    events: int = field(default=0)

    def feed(self, chunk: bytes) -> list[bytes]:
        """Complete events to relay; payment/error events are kept aside."""
        self._buffer += chunk
        out: list[bytes] = []
        while (match := _BOUNDARY.search(self._buffer)) is not None:
            raw = self._buffer[: match.end()]
            self._buffer = self._buffer[match.end() :]
            if self._keep(raw):
                out.append(raw)
        return out

    def finish(self) -> list[bytes]:
        """Whatever is left after the stream ended (an unterminated last event)."""
        raw, self._buffer = self._buffer, b""
        if raw.strip() and self._keep(raw):
            return [raw]
        return []

    def _keep(self, raw: bytes) -> bool:
        self.events += 1
        parsed = parse_event(raw)
        if parsed.event == PAYMENT_EVENT:
            self.payment = parsed.data.strip()
            return False
        if parsed.event == ERROR_EVENT:
            self.error = parsed.data
            return False
        return True


def is_done_event(raw: bytes) -> bool:
    """The OpenAI stream terminator `data: [DONE]`."""
    parsed = parse_event(raw)
    return parsed.event is None and parsed.data.strip() == "[DONE]"
