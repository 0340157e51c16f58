"""The pre-flight (PROTOCOL §6 step 4): a request's worst-case price, before any ticket is used.

One pure module (no I/O) shared by the gateway, which refuses before reservation any request
whose worst case exceeds `c_max`, and by the prover service, which runs the same rules before it
binds a ticket and brings a request with no work cap within `c_max` (`adjust`).

From the schedule, the route and the request bytes:

- the model must be one the route prices (`unknown_model`);
- input tokens are bounded by UTF-8 bytes of the request's decoded text (`input_text`: the
  canonical JSON without its generation controls) plus the model's template overhead (per request
  and per message): every token of a byte-level BPE covers at least one byte, so this holds for
  any such tokenizer whatever the prompt;
- output tokens (chat) by `max(max_tokens, max_completion_tokens) × n`; a chat without either has
  no bound and is refused (`cost_exceeds_c_max`);
- the reply size by `reply_bytes_bound` (chat: per output token; embeddings: inputs ×
  dimensions × bytes per value), refused above the schedule's `max_reply_bytes`
  (`reply_too_large`);
- the worst-case price is the schedule's price of those bounds, rounded up to the quantum.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from prover.pricing.errors import PreflightRefused, Refusal
from prover.pricing.request_json import canonical_text, parse_strict, utf8_len
from prover.pricing.schedule import ModelPrice, PriceRoute, PriceSchedule, RouteKind, Usage

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


@dataclass(frozen=True)
class Adjusted:
    """`adjust`'s result: the body to bind and send, and what was changed (None: nothing)."""

    body: bytes
    note: str | None
    bound: Bound


def _bad(message: str, field: str) -> PreflightRefused:
    return PreflightRefused(Refusal.BAD_REQUEST, message, field=field)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _object(body: bytes) -> dict[str, Any]:
    parsed = parse_strict(body)
    if not isinstance(parsed, dict):
        raise _bad("body must be a JSON object", "body")
    return parsed


def input_text(request: dict[str, Any]) -> str:
    """The text the input bound counts: canonical JSON of the request without its controls."""
    return canonical_text({k: v for k, v in request.items() if k not in CONTROL_KEYS})


def _model_price(route: PriceRoute, request: dict[str, Any]) -> tuple[str, ModelPrice]:
    model = request.get("model")
    if not isinstance(model, str):
        raise _bad("model is required (a string)", "model")
    price = route.price(model)
    if price is None:
        sold = ", ".join(sorted(route.models))
        raise PreflightRefused(
            Refusal.UNKNOWN_MODEL,
            f"model {model!r} is not sold on {route.path} (the price schedule lists: {sold})",
            field="model",
        )
    return model, price


def _worst(schedule: PriceSchedule, price: ModelPrice, inp: int, out: int) -> tuple[int, int]:
    raw = price.raw_cost(Usage(input_tokens=inp, output_tokens=out))
    return raw, -(-raw // schedule.quantum) * schedule.quantum


# -- chat ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Chat:
    cap: int | None  # max of the present caps
    n: int
    stream: bool
    include_usage: bool
    per_token_bytes: int
    messages: int


def _chat_shape(request: dict[str, Any], price: ModelPrice, model: str) -> _Chat:
    messages = request.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _bad("messages must be a non-empty list", "messages")
    caps: list[int] = []
    for name in CAP_FIELDS:
        value = request.get(name)
        if value is None:
            continue
        if not _is_int(value) or value < 1:
            raise _bad(f"{name} must be a positive integer, got {value!r}", name)
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
    if not _is_int(n) or not 1 <= n <= MAX_N:
        raise _bad(f"n must be an integer in [1, {MAX_N}], got {n!r}", "n")
    if request.get("best_of") not in (None, 1):
        raise _bad("best_of is not sold (hidden work the reply does not show)", "best_of")
    stream = request.get("stream", False)
    if stream is None:
        stream = False
    if not isinstance(stream, bool):
        raise _bad(f"stream must be a boolean, got {stream!r}", "stream")
    options = request.get("stream_options")
    if options is not None and not isinstance(options, dict):
        raise _bad("stream_options must be an object", "stream_options")
    include_usage = isinstance(options, dict) and options.get("include_usage") is True
    per_token = STREAM_BYTES_PER_TOKEN + len(model) if stream else CHAT_BYTES_PER_TOKEN
    top = request.get("top_logprobs")
    if top is not None and (not _is_int(top) or not 0 <= top <= MAX_TOP_LOGPROBS):
        raise _bad(f"top_logprobs must be an integer in [0, {MAX_TOP_LOGPROBS}]", "top_logprobs")
    if request.get("logprobs") is True:
        per_token += LOGPROB_BYTES * (1 + (top or 0))
    return _Chat(max(caps, default=None), n, stream, include_usage, per_token, len(messages))


def _chat_reply_bytes(shape: _Chat, cap: int) -> int:
    return REPLY_ENVELOPE_BYTES + shape.n * (PER_CHOICE_BYTES + cap * shape.per_token_bytes)


def _chat_input(request: dict[str, Any], price: ModelPrice, messages: int) -> int:
    text = utf8_len(input_text(request))
    return text + price.request_overhead_tokens + messages * price.message_overhead_tokens


def _chat_bound(
    schedule: PriceSchedule, route: PriceRoute, request: dict[str, Any]
) -> tuple[Bound, _Chat]:
    model, price = _model_price(route, request)
    shape = _chat_shape(request, price, model)
    inp = _chat_input(request, price, shape.messages)
    if shape.cap is None:
        raise PreflightRefused(
            Refusal.COST_EXCEEDS_C_MAX,
            "a chat call needs max_tokens or max_completion_tokens: without one its output, and "
            "so its price, has no bound",
            field="max_tokens",
        )
    out = shape.cap * shape.n
    raw, worst = _worst(schedule, price, inp, out)
    bound = Bound(
        route, model, price, inp, out, _chat_reply_bytes(shape, shape.cap), raw, worst,
        stream=shape.stream, include_usage=shape.include_usage,
    )  # fmt: skip
    return bound, shape


# -- embeddings -------------------------------------------------------------------------------


def _embedding_inputs(value: Any) -> tuple[int, int]:
    """(number of inputs, input-token bound) of an embeddings `input`."""
    if isinstance(value, str):
        return 1, utf8_len(value)
    if isinstance(value, list) and value:
        if all(isinstance(v, str) for v in value):
            return len(value), sum(utf8_len(v) for v in value)
        if all(_is_int(v) for v in value):
            return 1, len(value)
        if all(isinstance(v, list) and all(_is_int(t) for t in v) for v in value):
            return len(value), sum(len(v) for v in value)
    raise _bad("input must be a string, a list of strings, or token arrays", "input")


def _embeddings_bound(schedule: PriceSchedule, route: PriceRoute, request: dict[str, Any]) -> Bound:
    model, price = _model_price(route, request)
    count, tokens = _embedding_inputs(request.get("input"))
    dims = request.get("dimensions")
    if dims is None:
        dims = price.dimensions
    if not _is_int(dims) or not 1 <= dims <= price.max_dimensions:
        raise _bad(f"dimensions must be an integer in [1, {price.max_dimensions}]", "dimensions")
    encoding = request.get("encoding_format", "float")
    if encoding not in ("float", "base64", None):
        raise _bad("encoding_format must be float or base64", "encoding_format")
    per_value = BASE64_VALUE_BYTES if encoding == "base64" else FLOAT_VALUE_BYTES
    reply = REPLY_ENVELOPE_BYTES + count * (PER_EMBEDDING_BYTES + dims * per_value)
    inp = tokens + price.request_overhead_tokens + count * price.message_overhead_tokens
    raw, worst = _worst(schedule, price, inp, 0)
    return Bound(route, model, price, inp, 0, reply, raw, worst)


# -- the three entry points ---------------------------------------------------------------------


def bound(schedule: PriceSchedule, route: PriceRoute, body: bytes) -> Bound:
    """The request's worst case; raises `PreflightRefused` if it has none (malformed, unknown
    model, no output cap). Does not compare with `c_max`: see `check`."""
    if route.kind is RouteKind.CHAT:
        return _chat_bound(schedule, route, _object(body))[0]
    if route.kind is RouteKind.EMBEDDINGS:
        return _embeddings_bound(schedule, route, _object(body))
    price = route.price(None)
    assert price is not None  # http routes always have their flat price
    raw, worst = _worst(schedule, price, 0, 0)
    return Bound(route, None, price, 0, 0, None, raw, worst)


def _within(schedule: PriceSchedule, b: Bound) -> Bound:
    if b.worst_cost > schedule.c_max:
        raise PreflightRefused(
            Refusal.COST_EXCEEDS_C_MAX,
            f"the worst-case price of this request is {b.worst_cost} (input ≤ {b.input_tokens} "
            f"tokens, output ≤ {b.output_tokens}), above c_max = {schedule.c_max}",
            field="max_tokens" if b.output_tokens else "body",
        )
    if b.reply_bytes is not None and b.reply_bytes > schedule.max_reply_bytes:
        raise PreflightRefused(
            Refusal.REPLY_TOO_LARGE,
            f"the reply to this request could reach {b.reply_bytes} bytes, above the "
            f"{schedule.max_reply_bytes} the gateway relays",
            field="dimensions" if b.route.kind is RouteKind.EMBEDDINGS else "max_tokens",
        )
    return b


def check(schedule: PriceSchedule, route: PriceRoute, body: bytes) -> Bound:
    """The gateway's rule, before reservation: the worst case within `c_max` and the reply
    within the size limit; a streamed chat must ask the upstream for usage."""
    b = _within(schedule, bound(schedule, route, body))
    if b.stream and not b.include_usage:
        raise _bad(
            "a streamed chat must set stream_options.include_usage = true (it is priced by "
            "the usage the upstream reports)",
            "stream_options.include_usage",
        )
    return b


def _affordable(schedule: PriceSchedule, price: ModelPrice, inp: int, shape: _Chat) -> int:
    """The largest output cap `c_max`, the model's limit and the reply size limit allow."""
    budget = 1000 * (schedule.c_max - price.flat) - inp * price.per_1k_input_tokens
    if budget < 0:
        return 0
    by_price = price.max_output_tokens
    if price.per_1k_output_tokens:
        by_price = budget // (shape.n * price.per_1k_output_tokens)
    room = schedule.max_reply_bytes - REPLY_ENVELOPE_BYTES - shape.n * PER_CHOICE_BYTES
    by_size = room // (shape.n * shape.per_token_bytes)
    return max(0, min(by_price, by_size, price.max_output_tokens))


def adjust(schedule: PriceSchedule, route: PriceRoute, body: bytes) -> Adjusted:
    """The client's rule: bring a request with no work cap within `c_max`, or refuse it.

    A chat with neither `max_tokens` nor `max_completion_tokens` gets the largest `max_tokens`
    that `c_max` (and the model's limit and the reply size limit) affords given its input; a
    streamed chat gets `stream_options.include_usage = true`. Any other breach (an explicit cap
    above what is sold, an input too large to afford one output token, an unknown model) is
    refused with the same `PreflightRefused` the gateway would answer. The body is re-serialised
    only when something changed."""
    if route.kind is not RouteKind.CHAT:
        return Adjusted(body, None, check(schedule, route, body))
    request = _object(body)
    model, price = _model_price(route, request)
    shape = _chat_shape(request, price, model)
    notes: list[str] = []
    if shape.cap is None:
        inp = _chat_input(request, price, shape.messages)
        cap = _affordable(schedule, price, inp, shape)
        if cap < 1:
            raise PreflightRefused(
                Refusal.COST_EXCEEDS_C_MAX,
                f"the input alone (≤ {inp} tokens) leaves no output token within c_max = "
                f"{schedule.c_max}",
                field="messages",
            )
        request["max_tokens"] = cap
        notes.append(f"max_tokens={cap}")
    if shape.stream and not shape.include_usage:
        options = dict(request.get("stream_options") or {})
        options["include_usage"] = True
        request["stream_options"] = options
        notes.append("stream_options.include_usage=true")
    if not notes:
        return Adjusted(body, None, check(schedule, route, body))
    new_body = json.dumps(request, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Adjusted(new_body, "; ".join(notes), check(schedule, route, new_body))
