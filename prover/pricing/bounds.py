"""The bounds the pre-flight computes (`prover.pricing.preflight`): a request's input tokens,
output tokens and reply size, and their worst-case price, from the schedule and its bytes alone.

Input tokens ≤ UTF-8 bytes of the request's decoded text (`input_text`) plus the model's template
overhead: every token of a byte-level BPE covers at least one byte. Output tokens (chat) ≤
`max(max_tokens, max_completion_tokens) × n`. Reply bytes ≤ the per-token (chat) or per-value
(embeddings) sizes below. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from prover.pricing.errors import PreflightRefused, Refusal
from prover.pricing.request_json import canonical_text, parse_strict, utf8_len
from prover.pricing.schedule import ModelPrice, PriceRoute, PriceSchedule, Usage

CAP_FIELDS = ("max_tokens", "max_completion_tokens")
CONTROL_KEYS = frozenset(
    {
        "model", "max_tokens", "max_completion_tokens", "n", "stream", "stream_options",
        "temperature", "top_p", "seed", "presence_penalty", "frequency_penalty", "logprobs",
        "top_logprobs", "user", "store", "parallel_tool_calls", "encoding_format", "dimensions",
    }
)  # fmt: skip
"""Generation controls: not prompt text, left out of the input bound."""
MAX_N = 128
MAX_TOP_LOGPROBS = 20
# Reply size per output token (JSON of a completion; an SSE chunk per token when streamed), per
# top log-probability, per embedding value (float JSON: up to 25 characters and a comma; base64:
# 4 bytes as 16/3 characters), and fixed envelopes. Generous on purpose: the bound only refuses
# requests whose reply could not be relayed anyway.
CHAT_BYTES_PER_TOKEN = 64
STREAM_BYTES_PER_TOKEN = 320
LOGPROB_BYTES = 96
FLOAT_VALUE_BYTES = 26
BASE64_VALUE_BYTES = 6
REPLY_ENVELOPE_BYTES = 2048
PER_CHOICE_BYTES = 512
PER_EMBEDDING_BYTES = 192


@dataclass(frozen=True)
class Bound:
    """What a request can cost at most, and what it asks for."""

    route: PriceRoute
    model: str | None
    price: ModelPrice
    input_tokens: int
    output_tokens: int
    reply_bytes: int | None  # None: not bounded by the request (plain HTTP routes)
    worst_raw: int  # the price of the bounds before quantisation
    worst_cost: int  # rounded up to the quantum, NOT capped at c_max
    stream: bool = False
    include_usage: bool = False  # a streamed chat asks the upstream for usage

    @property
    def usage(self) -> Usage:
        return Usage(input_tokens=self.input_tokens, output_tokens=self.output_tokens)

    def charge(self, schedule: PriceSchedule, usage: Usage) -> int:
        """What a served call is charged: the schedule's price of `usage` (each count clamped to
        its bound), never above the worst case and never above `c_max`."""
        clamped = Usage(
            input_tokens=min(usage.input_tokens, self.input_tokens),
            output_tokens=min(usage.output_tokens, self.output_tokens),
        )
        return schedule.quantise(min(self.price.raw_cost(clamped), self.worst_raw))


def bad(message: str, field: str) -> PreflightRefused:
    return PreflightRefused(Refusal.BAD_REQUEST, message, field=field)


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def request_object(body: bytes) -> dict[str, Any]:
    parsed = parse_strict(body)
    if not isinstance(parsed, dict):
        raise bad("body must be a JSON object", "body")
    return parsed


def input_text(request: dict[str, Any]) -> str:
    """The text the input bound counts: canonical JSON of the request without its controls."""
    return canonical_text({k: v for k, v in request.items() if k not in CONTROL_KEYS})


def model_price(route: PriceRoute, request: dict[str, Any]) -> tuple[str, ModelPrice]:
    model = request.get("model")
    if not isinstance(model, str):
        raise bad("model is required (a string)", "model")
    price = route.price(model)
    if price is None:
        sold = ", ".join(sorted(route.models))
        raise PreflightRefused(
            Refusal.UNKNOWN_MODEL,
            f"model {model!r} is not sold on {route.path} (the price schedule lists: {sold})",
            field="model",
        )
    return model, price


def price_of_bounds(
    schedule: PriceSchedule, price: ModelPrice, inp: int, out: int
) -> tuple[int, int]:
    raw = price.raw_cost(Usage(input_tokens=inp, output_tokens=out))
    return raw, -(-raw // schedule.quantum) * schedule.quantum


# -- chat ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatShape:
    cap: int | None  # max of the present caps
    n: int
    stream: bool
    include_usage: bool
    per_token_bytes: int
    messages: int


def chat_shape(request: dict[str, Any], price: ModelPrice, model: str) -> ChatShape:
    messages = request.get("messages")
    if not isinstance(messages, list) or not messages:
        raise bad("messages must be a non-empty list", "messages")
    caps: list[int] = []
    for name in CAP_FIELDS:
        value = request.get(name)
        if value is None:
            continue
        if not is_int(value) or value < 1:
            raise bad(f"{name} must be a positive integer, got {value!r}", name)
        if value > price.max_output_tokens:
            raise PreflightRefused(
                Refusal.COST_EXCEEDS_C_MAX,
                f"{name}={value} is above the {price.max_output_tokens} output tokens the "
                f"schedule sells per call of {model}",
                field=name,
            )
        caps.append(value)
    n = request.get("n", 1)
    if n is None:
        n = 1
    if not is_int(n) or not 1 <= n <= MAX_N:
        raise bad(f"n must be an integer in [1, {MAX_N}], got {n!r}", "n")
    if request.get("best_of") not in (None, 1):
        raise bad("best_of is not sold (hidden work the reply does not show)", "best_of")
    stream = request.get("stream", False)
    if stream is None:
        stream = False
    if not isinstance(stream, bool):
        raise bad(f"stream must be a boolean, got {stream!r}", "stream")
    options = request.get("stream_options")
    if options is not None and not isinstance(options, dict):
        raise bad("stream_options must be an object", "stream_options")
    include_usage = isinstance(options, dict) and options.get("include_usage") is True
    per_token = STREAM_BYTES_PER_TOKEN + len(model) if stream else CHAT_BYTES_PER_TOKEN
    top = request.get("top_logprobs")
    if top is not None and (not is_int(top) or not 0 <= top <= MAX_TOP_LOGPROBS):
        raise bad(f"top_logprobs must be an integer in [0, {MAX_TOP_LOGPROBS}]", "top_logprobs")
    if request.get("logprobs") is True:
        per_token += LOGPROB_BYTES * (1 + (top or 0))
    return ChatShape(max(caps, default=None), n, stream, include_usage, per_token, len(messages))


def chat_reply_bytes(shape: ChatShape, cap: int) -> int:
    return REPLY_ENVELOPE_BYTES + shape.n * (PER_CHOICE_BYTES + cap * shape.per_token_bytes)


def chat_input(request: dict[str, Any], price: ModelPrice, messages: int) -> int:
    text = utf8_len(input_text(request))
    return text + price.request_overhead_tokens + messages * price.message_overhead_tokens


def chat_bound(
    schedule: PriceSchedule, route: PriceRoute, request: dict[str, Any]
) -> tuple[Bound, ChatShape]:
    model, price = model_price(route, request)
    shape = chat_shape(request, price, model)
    inp = chat_input(request, price, shape.messages)
    if shape.cap is None:
        raise PreflightRefused(
            Refusal.COST_EXCEEDS_C_MAX,
            "a chat call needs max_tokens or max_completion_tokens: without one its output, and "
            "so its price, has no bound",
            field="max_tokens",
        )
    out = shape.cap * shape.n
    raw, worst_cost = price_of_bounds(schedule, price, inp, out)
    bound = Bound(
        route, model, price, inp, out, chat_reply_bytes(shape, shape.cap), raw, worst_cost,
        stream=shape.stream, include_usage=shape.include_usage,
    )  # fmt: skip
    return bound, shape


# -- embeddings -------------------------------------------------------------------------------


def embedding_inputs(value: Any) -> tuple[int, int]:
    """(number of inputs, input-token bound) of an embeddings `input`."""
    if isinstance(value, str):
        return 1, utf8_len(value)
    if isinstance(value, list) and value:
        if all(isinstance(v, str) for v in value):
            return len(value), sum(utf8_len(v) for v in value)
        if all(is_int(v) for v in value):
            return 1, len(value)
        if all(isinstance(v, list) and all(is_int(t) for t in v) for v in value):
            return len(value), sum(len(v) for v in value)
    raise bad("input must be a string, a list of strings, or token arrays", "input")


def embeddings_bound(schedule: PriceSchedule, route: PriceRoute, request: dict[str, Any]) -> Bound:
    model, price = model_price(route, request)
    count, tokens = embedding_inputs(request.get("input"))
    dims = request.get("dimensions")
    if dims is None:
        dims = price.dimensions
    if not is_int(dims) or not 1 <= dims <= price.max_dimensions:
        raise bad(f"dimensions must be an integer in [1, {price.max_dimensions}]", "dimensions")
    encoding = request.get("encoding_format", "float")
    if encoding not in ("float", "base64", None):
        raise bad("encoding_format must be float or base64", "encoding_format")
    per_value = BASE64_VALUE_BYTES if encoding == "base64" else FLOAT_VALUE_BYTES
    reply = REPLY_ENVELOPE_BYTES + count * (PER_EMBEDDING_BYTES + dims * per_value)
    inp = tokens + price.request_overhead_tokens + count * price.message_overhead_tokens
    raw, worst_cost = price_of_bounds(schedule, price, inp, 0)
    return Bound(route, model, price, inp, 0, reply, raw, worst_cost)
