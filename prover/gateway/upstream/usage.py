"""Metering: the `Usage` a reply is priced by, from the upstream's report or counted.

The upstream's `usage` is what a call is priced by. When a reply carries none (an upstream that
does not report it), both counts come from the real offline tokenizer (`prover.pricing.tokens`,
o200k_base): input = tokens of the request's decoded text (`preflight.input_text`, no template
overhead), output = tokens of the reply's text. Every function here takes untrusted upstream bytes
and never raises: junk gives zero or counted usage. Billed output is clamped to the cap, so
`cost ≤ c_max` holds even for an upstream that ignores `max_tokens` (the charge clamps to the
pre-flight's worst case too).
"""

from __future__ import annotations

from typing import Any

from prover.gateway.upstream.sse import event_data
from prover.gateway.upstream.strict_json import parse_lenient
from prover.pricing.preflight import input_text
from prover.pricing.schedule import RouteKind, Usage
from prover.pricing.tokens import count_tokens

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
    """Tokenizer count of a request's decoded text (only when the upstream reports none)."""
    return min(count_tokens(input_text(request_json(request_body))), TOKEN_BOUND - 1)


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
        )
    return ""


def choice_text(choice: Any, key: str) -> str:
    """The text of one choice's `message` (complete reply) or `delta` (stream chunk): content,
    refusal and tool-call arguments."""
    part = choice.get(key) if isinstance(choice, dict) else None
    if not isinstance(part, dict):
        return ""
    text = _text_of(part.get("content"))
    refusal = part.get("refusal")
    if isinstance(refusal, str):
        text += refusal
    calls = part.get("tool_calls")
    if isinstance(calls, list):
        for call in calls:
            fn = call.get("function") if isinstance(call, dict) else None
            if isinstance(fn, dict):
                for name in ("name", "arguments"):
                    if isinstance(fn.get(name), str):
                        text += fn[name]
    return text


def choices_texts(obj: Any, key: str) -> list[str]:
    if not isinstance(obj, dict) or not isinstance(obj.get("choices"), list):
        return []
    return [choice_text(choice, key) for choice in obj["choices"]]


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
        out = sum(count_tokens(t) for t in choices_texts(reply, "message"))
    return Usage(input_tokens=inp, output_tokens=min(out, cap))


def _embedding_input_tokens(value: Any) -> int:
    if isinstance(value, str):
        return count_tokens(value)
    if isinstance(value, list):
        total = 0
        for item in value:
            if isinstance(item, str):
                total += count_tokens(item)
            elif isinstance(item, int) and not isinstance(item, bool):
                total += 1
            elif isinstance(item, list):
                total += len(item)
        return total
    return 0


def embeddings_usage(reply_body: bytes, request_body: bytes) -> Usage:
    """Usage of an embeddings reply: `usage.prompt_tokens`, else the tokenizer's count of input."""
    reply = parse_lenient(reply_body)
    inp, _ = parse_usage(reply.get("usage") if isinstance(reply, dict) else None)
    if inp is None:
        inp = min(_embedding_input_tokens(request_json(request_body).get("input")), TOKEN_BOUND - 1)
    return Usage(input_tokens=inp)


def reply_usage(kind: RouteKind, reply_body: bytes, request_body: bytes, cap: int) -> Usage:
    """Usage of a complete reply by route kind; plain HTTP is flat (zero tokens)."""
    if kind is RouteKind.CHAT:
        return chat_usage(reply_body, request_body, cap)
    if kind is RouteKind.EMBEDDINGS:
        return embeddings_usage(reply_body, request_body)
    return Usage()


class ChatStreamMeter:
    """Reads a streamed chat reply event by event: keeps the upstream's usage, and decides where
    to cut an upstream that overruns the cap.

    `admit(event)` is True if the event may go to the client; False means the event would take
    the output above `cap` (or is past `[DONE]`): the stream must be cut before it. The cut counts
    each non-empty text fragment as one token — a lower bound for any tokenizer (a fragment is at
    least one token), so an honest stream is never cut.
    """

    def __init__(self, cap: int, request_body: bytes) -> None:
        self.cap = cap
        self.counted = 0  # non-empty fragments: a lower bound on output tokens
        self.reported: tuple[int | None, int | None] = (None, None)
        self.done = False
        self.cut = False
        self._text: list[str] = []
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
        texts = choices_texts(chunk, "delta")
        fragments = sum(1 for t in texts if t)
        if self.counted + fragments > self.cap:
            self.cut = True
            return False
        self.counted += fragments
        self._text.extend(texts)
        if isinstance(chunk, dict) and chunk.get("usage") is not None:
            self.reported = parse_usage(chunk.get("usage"))
        return True

    @property
    def usage_reported(self) -> bool:
        return self.reported != (None, None)

    def usage(self) -> Usage:
        """The upstream's usage if it came and nothing was cut, else the tokenizer's count of
        the relayed text (and of the request's text for the input)."""
        inp, out = self.reported
        if inp is None:
            inp = prompt_estimate(self._request_body)
        if out is None or self.cut:
            out = max(self.counted, count_tokens("".join(self._text)))
        return Usage(input_tokens=inp, output_tokens=min(out, self.cap))
