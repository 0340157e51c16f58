"""The shared pre-flight: worst-case price before any ticket is used, and the client's adjustment
of requests with no work cap (one module, both sides)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prover.pricing import ModelPrice, PreflightRefused, PriceRoute, PriceSchedule, Refusal, Usage
from prover.pricing import preflight as pf
from prover.pricing.request_json import canonical_text, parse_strict

CHAT_PRICE = ModelPrice(
    flat=10, per_1k_input_tokens=200, per_1k_output_tokens=2000, max_output_tokens=256
)
EMBED_PRICE = ModelPrice(flat=10, per_1k_input_tokens=100, dimensions=32, max_dimensions=1024)
SCHEDULE = PriceSchedule(
    quantum=10,
    c_max=1000,
    routes=(
        PriceRoute(method="POST", path="/v1/chat/completions", kind="chat",
                   models={"chat": CHAT_PRICE}),
        PriceRoute(method="POST", path="/v1/embeddings", kind="embeddings",
                   models={"embed": EMBED_PRICE}),
        PriceRoute(method="GET", path="/search", kind="http", flat=20),
    ),
)  # fmt: skip
CHAT, EMBED, SEARCH = SCHEDULE.routes


def _body(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj).encode()


def _chat(content: str = "hello", **extra: Any) -> bytes:
    return _body({"model": "chat", "messages": [{"role": "user", "content": content}], **extra})


def _refusal(route: PriceRoute, body: bytes) -> PreflightRefused:
    with pytest.raises(PreflightRefused) as info:
        pf.check(SCHEDULE, route, body)
    return info.value


def test_a_chat_worst_case_is_its_input_bytes_and_output_cap_at_the_models_prices() -> None:
    bound = pf.check(SCHEDULE, CHAT, _chat("hello", max_tokens=100))
    text = canonical_text({"messages": [{"role": "user", "content": "hello"}]})
    assert bound.input_tokens == len(text.encode()) + 16 + 8
    assert bound.output_tokens == 100
    assert bound.worst_raw == 10 + -(-(bound.input_tokens * 200 + 100 * 2000) // 1000)
    assert bound.worst_cost % 10 == 0 and bound.worst_raw <= bound.worst_cost < bound.worst_raw + 10


def test_the_input_bound_holds_for_a_real_tokenizer_on_any_text() -> None:
    from prover.pricing.tokens import count_tokens

    for text in ["hello world", "ünïcödé ✓ 漢字", "a" * 5000, "\u00e9" * 300, "🙂" * 50]:
        request = parse_strict(_chat(text, max_tokens=1))
        assert count_tokens(pf.input_text(request)) <= len(pf.input_text(request).encode())


def test_a_900_kb_prompt_is_refused_before_reservation_not_clipped_to_c_max() -> None:
    refused = _refusal(CHAT, _chat("word " * 180_000, max_tokens=16))
    assert refused.reason is Refusal.COST_EXCEEDS_C_MAX
    assert "above c_max = 1000" in str(refused)


def test_an_escaped_prompt_counts_its_decoded_bytes_not_its_escapes() -> None:
    plain = pf.check(SCHEDULE, CHAT, _chat("é" * 40, max_tokens=1))
    escaped = pf.check(SCHEDULE, CHAT, _body(json.loads(_chat("é" * 40, max_tokens=1))))
    raw = b'{"model":"chat","messages":[{"role":"user","content":"' + b"\\u00e9" * 40 + b'"}],'
    from_escapes = pf.check(SCHEDULE, CHAT, raw + b'"max_tokens":1}')
    assert plain.input_tokens == escaped.input_tokens == from_escapes.input_tokens


@pytest.mark.parametrize(
    ("body", "reason", "field"),
    [
        (_chat(), Refusal.COST_EXCEEDS_C_MAX, "max_tokens"),
        (_chat(max_tokens=257), Refusal.COST_EXCEEDS_C_MAX, "max_tokens"),
        (_chat(max_completion_tokens=999), Refusal.COST_EXCEEDS_C_MAX, "max_completion_tokens"),
        (_chat(max_tokens=200, n=3), Refusal.COST_EXCEEDS_C_MAX, "max_tokens"),
        (_chat(max_tokens=0), Refusal.BAD_REQUEST, "max_tokens"),
        (_chat(max_tokens=True), Refusal.BAD_REQUEST, "max_tokens"),
        (_chat(max_tokens=4, n=0), Refusal.BAD_REQUEST, "n"),
        (_chat(max_tokens=4, best_of=4), Refusal.BAD_REQUEST, "best_of"),
        (_chat(max_tokens=4, stream="yes"), Refusal.BAD_REQUEST, "stream"),
        (_chat(max_tokens=4, stream=True), Refusal.BAD_REQUEST, "stream_options.include_usage"),
        (_body({"model": "gpt-x", "messages": [{"role": "user", "content": "x"}],
                "max_tokens": 4}), Refusal.UNKNOWN_MODEL, "model"),
        (_body({"messages": [{"role": "user", "content": "x"}], "max_tokens": 4}),
         Refusal.BAD_REQUEST, "model"),
        (_body({"model": "chat", "messages": [], "max_tokens": 4}), Refusal.BAD_REQUEST,
         "messages"),
        (b'{"model":"chat","model":"chat","messages":[{"role":"user","content":"x"}]}',
         Refusal.BAD_REQUEST, "body"),
        (b'{"model":"chat","messages":[],"max_tokens":NaN}', Refusal.BAD_REQUEST, "body"),
        (b'{"model":"chat","messages":[],"temperature":1e999}', Refusal.BAD_REQUEST, "body"),
        (b"\xef\xbb\xbf{}", Refusal.BAD_REQUEST, "body"),
        (b"[1]", Refusal.BAD_REQUEST, "body"),
    ],
    ids=["no-cap", "cap-above-model", "completion-cap-above-model", "n-times-cap-above-c_max",
         "zero-cap", "bool-cap", "zero-n", "best-of", "stream-not-bool", "stream-without-usage",
         "unknown-model", "no-model", "no-messages", "duplicate-key", "nan", "overflow", "bom",
         "not-an-object"],
)  # fmt: skip
def test_a_chat_request_breaking_a_rule_is_refused_naming_the_field(
    body: bytes, reason: Refusal, field: str
) -> None:
    refused = _refusal(CHAT, body)
    assert (refused.reason, refused.field) == (reason, field)


def test_an_embeddings_call_whose_reply_would_outgrow_the_limit_is_refused() -> None:
    body = _body({"model": "embed", "input": ["x"] * 400, "dimensions": 1024})
    refused = _refusal(EMBED, body)
    assert (refused.reason, refused.field) == (Refusal.REPLY_TOO_LARGE, "dimensions")
    # the same inputs in base64 (6 bytes a value, not 26) fit the 8 MiB limit
    small = _body({"model": "embed", "input": ["x"] * 400, "dimensions": 1024,
                   "encoding_format": "base64"})  # fmt: skip
    assert pf.check(SCHEDULE, EMBED, small).reply_bytes <= SCHEDULE.max_reply_bytes  # type: ignore[operator]


def test_an_embeddings_worst_case_counts_every_input_and_its_overheads() -> None:
    mixed = _refusal(EMBED, _body({"model": "embed", "input": ["abc", [1, 2, 3]]}))
    assert (mixed.reason, mixed.field) == (Refusal.BAD_REQUEST, "input")
    strings = pf.check(SCHEDULE, EMBED, _body({"model": "embed", "input": ["abc", "de"]}))
    assert strings.input_tokens == 5 + 16 + 2 * 8
    arrays = pf.check(SCHEDULE, EMBED, _body({"model": "embed", "input": [[1, 2, 3], [4]]}))
    assert arrays.input_tokens == 4 + 16 + 2 * 8


def test_a_plain_http_route_costs_its_flat_price_whatever_the_body() -> None:
    bound = pf.check(SCHEDULE, SEARCH, b"")
    assert (bound.worst_cost, bound.reply_bytes, bound.model) == (20, None, None)


def test_adjust_gives_a_chat_without_cap_the_largest_max_tokens_c_max_affords() -> None:
    body = _chat("x" * 2000)
    adjusted = pf.adjust(SCHEDULE, CHAT, body)
    cap = json.loads(adjusted.body)["max_tokens"]
    assert adjusted.note == f"max_tokens={cap}"
    assert adjusted.bound.worst_cost <= SCHEDULE.c_max
    one_more = json.loads(adjusted.body) | {"max_tokens": cap + 1}
    assert _refusal(CHAT, _body(one_more)).reason is Refusal.COST_EXCEEDS_C_MAX


def test_adjust_caps_a_short_chat_at_the_models_own_limit() -> None:
    adjusted = pf.adjust(SCHEDULE, CHAT, _chat("hi"))
    assert json.loads(adjusted.body)["max_tokens"] == 256


def test_adjust_asks_a_stream_for_usage_and_keeps_other_stream_options() -> None:
    body = _chat("hi", max_tokens=8, stream=True, stream_options={"include_obfuscation": False})
    adjusted = pf.adjust(SCHEDULE, CHAT, body)
    assert adjusted.note == "stream_options.include_usage=true"
    assert json.loads(adjusted.body)["stream_options"] == {
        "include_obfuscation": False,
        "include_usage": True,
    }


def test_adjust_leaves_a_request_within_the_rules_byte_for_byte() -> None:
    body = (
        b'{"model": "chat", "messages": [{"role": "user", "content": "\\u00e9"}], "max_tokens": 8}'
    )
    adjusted = pf.adjust(SCHEDULE, CHAT, body)
    assert (adjusted.body, adjusted.note) == (body, None)


def test_adjust_refuses_an_input_too_large_for_any_output_and_an_explicit_cap_too_high() -> None:
    with pytest.raises(PreflightRefused) as info:
        pf.adjust(SCHEDULE, CHAT, _chat("y" * 5000))
    assert (info.value.reason, info.value.field) == (Refusal.COST_EXCEEDS_C_MAX, "messages")
    with pytest.raises(PreflightRefused) as info:
        pf.adjust(SCHEDULE, CHAT, _chat("hi", max_tokens=1000))
    assert info.value.field == "max_tokens"


_text = st.text(st.characters(codec="utf-8"), max_size=400)
_chat_requests = st.fixed_dictionaries(
    {"model": st.just("chat"), "messages": st.lists(
        st.fixed_dictionaries({"role": st.sampled_from(["user", "system"]), "content": _text}),
        min_size=1, max_size=4)},
    optional={"max_tokens": st.integers(1, 400), "n": st.integers(1, 4),
              "max_completion_tokens": st.integers(1, 400)},
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(_chat_requests, st.integers(0, 5000), st.integers(0, 5000))
def test_any_charge_is_at_most_the_worst_case_and_any_accepted_worst_case_is_within_c_max(
    request: dict[str, Any], reported_in: int, reported_out: int
) -> None:
    body = _body(request)
    try:
        adjusted = pf.adjust(SCHEDULE, CHAT, body)
    except PreflightRefused:
        with pytest.raises(PreflightRefused):
            pf.check(SCHEDULE, CHAT, body)  # what the client refuses, the gateway refuses
        return
    bound = pf.check(SCHEDULE, CHAT, adjusted.body)  # the gateway accepts what the client sends
    assert bound.worst_cost <= SCHEDULE.c_max
    charge = bound.charge(SCHEDULE, Usage(input_tokens=reported_in, output_tokens=reported_out))
    assert SCHEDULE.is_valid_cost(charge)
    assert charge <= bound.worst_cost <= SCHEDULE.c_max
