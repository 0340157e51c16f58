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
- the reply size by `prover.pricing.bounds` (chat: per output token; embeddings: inputs ×
  dimensions × bytes per value), refused above the schedule's `max_reply_bytes`
  (`reply_too_large`);
- the worst-case price is the schedule's price of those bounds, rounded up to the quantum.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from prover.pricing.bounds import (
    CAP_FIELDS,
    PER_CHOICE_BYTES,
    REPLY_ENVELOPE_BYTES,
    Bound,
    ChatShape,
    bad,
    chat_bound,
    chat_input,
    chat_shape,
    embeddings_bound,
    input_text,
    model_price,
    price_of_bounds,
    request_object,
)
from prover.pricing.errors import PreflightRefused, Refusal
from prover.pricing.schedule import ModelPrice, PriceRoute, PriceSchedule, RouteKind

__all__ = ["CAP_FIELDS", "Adjusted", "Bound", "adjust", "bound", "check", "input_text"]


@dataclass(frozen=True)
class Adjusted:
    """`adjust`'s result: the body to bind and send, and what was changed (None: nothing)."""

    body: bytes
    note: str | None
    bound: Bound


# -- the three entry points ---------------------------------------------------------------------


def bound(schedule: PriceSchedule, route: PriceRoute, body: bytes) -> Bound:
    """The request's worst case; raises `PreflightRefused` if it has none (malformed, unknown
    model, no output cap). Does not compare with `c_max`: see `check`."""
    if route.kind is RouteKind.CHAT:
        return chat_bound(schedule, route, request_object(body))[0]
    if route.kind is RouteKind.EMBEDDINGS:
        return embeddings_bound(schedule, route, request_object(body))
    price = route.price(None)
    assert price is not None  # http routes always have their flat price
    raw, worst_cost = price_of_bounds(schedule, price, 0, 0)
    return Bound(route, None, price, 0, 0, None, raw, worst_cost)


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
        raise bad(
            "a streamed chat must set stream_options.include_usage = true (it is priced by "
            "the usage the upstream reports)",
            "stream_options.include_usage",
        )
    return b


def _affordable(schedule: PriceSchedule, price: ModelPrice, inp: int, shape: ChatShape) -> int:
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
    request = request_object(body)
    model, price = model_price(route, request)
    shape = chat_shape(request, price, model)
    notes: list[str] = []
    if shape.cap is None:
        inp = chat_input(request, price, shape.messages)
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
