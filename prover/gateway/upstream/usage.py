"""Metering: the `Usage` a reply is priced by, from the upstream's report or counted.

Every function here takes untrusted upstream bytes and never raises: junk gives zero or counted
usage. Billed output is always clamped to the cap, so `cost ≤ c_max` holds even for an upstream
that ignores `max_tokens` (the cost function clamps too; this keeps the usage itself honest).
"""

from __future__ import annotations

from typing import Any

from prover.gateway.upstream.sse import event_data
from prover.gateway.upstream.strict_json import parse_lenient
from prover.gateway.upstream.tokens import chunk_tokens, content_text, input_words, prompt_words
from prover.pricing.schedule import RouteKind, Usage

TOKEN_BOUND = 1 << 32


def _count(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < TOKEN_BOUND:
        return value
    return None


def parse_usage(obj: Any) -> tuple[int | None, int | None]:
    """(input, output) tokens of an OpenAI `usage` object; None for each absent or junk count."""
    if not isinstance(obj, dict):
        return None, None
    inp = _count(obj.get("prompt_tokens"))
    if inp is None:
        inp = _count(obj.get("input_tokens"))
    out = _count(obj.get("completion_tokens"))
    if out is None:
        out = _count(obj.get("output_tokens"))
    return inp, out


def request_json(body: bytes) -> dict[str, Any]:
    parsed = parse_lenient(body)
    return parsed if isinstance(parsed, dict) else {}


def prompt_estimate(request_body: bytes) -> int:
    """Counted prompt tokens of a chat request (used only when the upstream reports none)."""
    return min(prompt_words(request_json(request_body).get("messages")), TOKEN_BOUND - 1)


def _delta_tokens(choice: Any, key: str) -> int:
    if not isinstance(choice, dict):
        return 0
    part = choice.get(key)
    if not isinstance(part, dict):
        return 0
    total = chunk_tokens(content_text(part.get("content")))
    refusal = part.get("refusal")
    if isinstance(refusal, str):
        total += chunk_tokens(refusal)
    calls = part.get("tool_calls")
    if isinstance(calls, list):
        for call in calls:
            fn = call.get("function") if isinstance(call, dict) else None
            args = fn.get("arguments") if isinstance(fn, dict) else None
            if isinstance(args, str):
                total += chunk_tokens(args)
    return total


def output_tokens_of(obj: Any, key: str) -> int:
    """Counted output of a chat object: `key` is `message` (complete reply) or `delta` (chunk)."""
    if not isinstance(obj, dict) or not isinstance(obj.get("choices"), list):
        return 0
    return sum(_delta_tokens(choice, key) for choice in obj["choices"])


def chat_usage(reply_body: bytes, request_body: bytes, cap: int) -> Usage:
    """Usage of a non-streamed chat reply: the upstream's `usage`, else counted; output ≤ cap."""
    reply = parse_lenient(reply_body)
    if not isinstance(reply, dict):
        return Usage()
    inp, out = parse_usage(reply.get("usage"))
    if inp is None and out is None and not isinstance(reply.get("choices"), list):
        return Usage()  # not a completion: nothing to count
    if inp is None:
        inp = prompt_estimate(request_body)
    if out is None:
        out = output_tokens_of(reply, "message")
    return Usage(input_tokens=inp, output_tokens=min(out, cap))


def embeddings_usage(reply_body: bytes, request_body: bytes) -> Usage:
    """Usage of an embeddings reply: `usage.prompt_tokens`, else the request's counted input."""
    reply = parse_lenient(reply_body)
    inp, _ = parse_usage(reply.get("usage") if isinstance(reply, dict) else None)
    if inp is None:
        inp = min(input_words(request_json(request_body).get("input")), TOKEN_BOUND - 1)
    return Usage(input_tokens=inp)


def reply_usage(kind: RouteKind, reply_body: bytes, request_body: bytes, cap: int) -> Usage:
    """Usage of a complete reply by route kind; plain HTTP is flat (zero tokens)."""
    if kind is RouteKind.CHAT:
        return chat_usage(reply_body, request_body, cap)
    if kind is RouteKind.EMBEDDINGS:
        return embeddings_usage(reply_body, request_body)
    return Usage()


class ChatStreamMeter:
    """Counts a streamed chat reply event by event and decides where to cut it at the cap.

    `admit(event)` is True if the event may go to the client; False means the event would take the
    counted output above `cap` (or is past `[DONE]`): the stream must be cut before it.
    """

    def __init__(self, cap: int, request_body: bytes) -> None:
        self.cap = cap
        self.counted = 0
        self.reported: tuple[int | None, int | None] = (None, None)
        self.done = False
        self.cut = False
        self._request_body = request_body

    def admit(self, event: bytes) -> bool:
        if self.done or self.cut:
            return False
        data = event_data(event)
        if data is None:
            return True
        if data.strip() == "[DONE]":
            self.done = True
            return True
        chunk = parse_lenient(data.encode("utf-8"))
        tokens = output_tokens_of(chunk, "delta")
        if self.counted + tokens > self.cap:
            self.cut = True
            return False
        self.counted += tokens
        if isinstance(chunk, dict) and chunk.get("usage") is not None:
            self.reported = parse_usage(chunk.get("usage"))
        return True

    def usage(self) -> Usage:
        """The upstream's final-chunk usage if it came and nothing was cut, else counted."""
        inp, out = self.reported
        if inp is None:
            inp = prompt_estimate(self._request_body)
        if out is None or self.cut:
            out = self.counted
        return Usage(input_tokens=inp, output_tokens=min(out, self.cap))
