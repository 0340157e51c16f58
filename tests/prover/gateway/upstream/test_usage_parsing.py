"""Metering never crashes on junk and never bills output above the cap."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from prover.gateway.upstream import ChatStreamMeter, parse_usage, reply_usage
from prover.gateway.upstream.sse import EventSplitter, event_data
from prover.pricing.schedule import RouteKind, Usage

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=30,
)
usage_like = st.fixed_dictionaries(
    {},
    optional={
        "usage": st.fixed_dictionaries(
            {},
            optional={
                "prompt_tokens": json_values,
                "completion_tokens": json_values,
                "output_tokens": json_values,
            },
        ),
        "choices": st.lists(
            st.fixed_dictionaries(
                {}, optional={"message": json_values, "delta": json_values, "index": json_values}
            ),
            max_size=3,
        ),
    },
)
bodies = st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode())
bodies = bodies | usage_like.map(lambda v: json.dumps(v).encode())


@settings(max_examples=300)
@given(bodies, bodies, st.sampled_from(list(RouteKind)), st.integers(0, 100))
def test_reply_usage_never_crashes_and_respects_the_cap(
    reply: bytes, request: bytes, kind: RouteKind, cap: int
) -> None:
    usage = reply_usage(kind, reply, request, cap)
    assert isinstance(usage, Usage)
    assert usage.output_tokens <= cap
    if kind is RouteKind.HTTP:
        assert usage == Usage()


@settings(max_examples=150)
@given(st.lists(bodies, max_size=6), st.integers(0, 50))
def test_the_stream_meter_never_crashes_and_never_admits_past_the_cap(
    payloads: list[bytes], cap: int
) -> None:
    meter = ChatStreamMeter(cap, b"junk")
    for payload in payloads:
        meter.admit(b"data: " + payload.replace(b"\n", b" ") + b"\n\n")
    assert meter.counted <= cap
    assert meter.usage().output_tokens <= cap


@given(json_values)
def test_parse_usage_accepts_only_non_negative_ints(obj: object) -> None:
    inp, out = parse_usage(obj)
    for value in (inp, out):
        assert value is None or (type(value) is int and 0 <= value < 2**32)


def test_parse_usage_reads_openai_and_responses_style_counts() -> None:
    assert parse_usage({"prompt_tokens": 3, "completion_tokens": 4}) == (3, 4)
    assert parse_usage({"input_tokens": 5, "output_tokens": 6}) == (5, 6)
    assert parse_usage({"prompt_tokens": True, "completion_tokens": -1}) == (None, None)
    assert parse_usage({"prompt_tokens": 2**40}) == (None, None)


@given(st.lists(st.binary(max_size=40), max_size=10), st.data())
def test_the_event_splitter_yields_the_same_events_however_the_bytes_are_chunked(
    events: list[bytes], data: st.DataObject
) -> None:
    stream = b"".join(
        b"data: " + e.replace(b"\n", b"").replace(b"\r", b"") + b"\n\n" for e in events
    )
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    pieces = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    splitter = EventSplitter()
    got = [ev for piece in pieces for ev in splitter.feed(piece)]
    assert b"".join(got) == stream and splitter.rest() == b""
    assert len(got) == len(events)
    assert [event_data(g) for g in got] == [
        e.replace(b"\n", b"").replace(b"\r", b"").decode("utf-8", errors="replace") for e in events
    ]
