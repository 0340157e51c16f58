"""Costs are quantised, capped at c_max, priced per model; the schedule hash pins every price."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from prover.pricing import ModelPrice, PriceRoute, PriceSchedule, RouteKind, Usage

CHAT = ModelPrice(flat=10, per_1k_input_tokens=50, per_1k_output_tokens=150, max_output_tokens=512)
EMBED = ModelPrice(flat=5, per_1k_input_tokens=20, dimensions=16, max_dimensions=64)


def _schedule(**overrides: object) -> PriceSchedule:
    routes = (
        PriceRoute(
            method="POST",
            path="/v1/chat/completions",
            kind=RouteKind.CHAT,
            models={"chat-a": CHAT, "chat-b": CHAT.model_copy(update={"flat": 20})},
        ),
        PriceRoute(
            method="POST", path="/v1/embeddings", kind=RouteKind.EMBEDDINGS, models={"emb": EMBED}
        ),
        PriceRoute(method="GET", path="/search", kind=RouteKind.HTTP, flat=20),
    )
    fields: dict[str, object] = {"quantum": 10, "c_max": 200, "routes": routes, **overrides}
    return PriceSchedule.model_validate(fields)


@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_every_cost_is_a_multiple_of_the_quantum_and_at_most_c_max(
    tokens_in: int, tokens_out: int
) -> None:
    schedule = _schedule()
    cost = schedule.cost(CHAT, Usage(input_tokens=tokens_in, output_tokens=tokens_out))
    assert schedule.is_valid_cost(cost)
    assert cost >= min(schedule.c_max, CHAT.raw_cost(Usage(input_tokens=tokens_in)))


def test_a_cost_rounds_up_to_the_next_quantum() -> None:
    schedule = _schedule()
    # 10 flat + ceil(100·50/1000 + 100·150/1000) = 10 + 20 = 30 → 30
    assert schedule.cost(CHAT, Usage(input_tokens=100, output_tokens=100)) == 30
    # 10 + ceil(1·50/1000) = 11 → 20
    assert schedule.cost(CHAT, Usage(input_tokens=1)) == 20


def test_each_model_has_its_own_price_and_an_unlisted_model_has_none() -> None:
    route = _schedule().route_for("POST", "/v1/chat/completions")
    assert route is not None
    assert route.price("chat-a") == CHAT
    assert route.price("chat-b") is not None and route.price("chat-b").flat == 20  # type: ignore[union-attr]
    assert route.price("chat-c") is None
    assert route.price(None) is None


def test_token_routes_match_their_exact_path_and_http_routes_a_prefix() -> None:
    schedule = _schedule()
    assert schedule.route_for("POST", "/v1/chat/completions?api-version=1") is not None
    assert schedule.route_for("POST", "/v1/chat/completionsX") is None
    assert schedule.route_for("POST", "/v1/chat/completions/extra") is None
    assert schedule.route_for("GET", "/search?q=x") is not None
    assert schedule.route_for("GET", "/search/deeper") is not None
    assert schedule.route_for("POST", "/search") is None
    assert schedule.route_for("GET", "/admin") is None


def test_the_hash_changes_with_any_price_and_not_with_construction_order() -> None:
    first = _schedule()
    assert first.schedule_hash() == _schedule().schedule_hash()
    assert len(first.schedule_hash()) == 32
    assert first.schedule_hash() != _schedule(quantum=20).schedule_hash()
    assert first.schedule_hash() != _schedule(c_max=300).schedule_hash()
    assert first.schedule_hash() != _schedule(max_reply_bytes=4096).schedule_hash()
    cheaper = first.routes[0].model_copy(
        update={"models": {"chat-a": CHAT.model_copy(update={"flat": 9}), "chat-b": CHAT}}
    )
    changed = first.model_copy(update={"routes": (cheaper, *first.routes[1:])})
    assert PriceSchedule.model_validate(changed.model_dump()).schedule_hash() != (
        first.schedule_hash()
    )


def test_the_hash_is_of_the_version_2_format() -> None:
    assert b'"version":2' in _schedule().canonical_json()
    with pytest.raises(ValidationError):
        _schedule(version=1)


def _chat_route(**price: object) -> PriceRoute:
    return PriceRoute(
        method="POST",
        path="/v1/chat",
        kind=RouteKind.CHAT,
        models={"m": ModelPrice.model_validate({"max_output_tokens": 8, **price})},
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"c_max": 205},  # not a multiple of the quantum
        {"quantum": 0},
        {"routes": ()},
        {"routes": (PriceRoute(method="GET", path="/x", kind=RouteKind.HTTP, flat=500),)},
        {"routes": (_chat_route(flat=500),)},
        {"routes": (PriceRoute(method="GET", path="/v1/models", kind=RouteKind.HTTP, flat=1),)},
        {"routes": (PriceRoute(method="GET", path="/v1", kind=RouteKind.HTTP, flat=1),)},
        {"max_reply_bytes": 10},
    ],
    ids=[
        "c_max-off-quantum",
        "zero-quantum",
        "no-routes",
        "flat-above-c_max",
        "model-flat-above-c_max",
        "models-list-sold",
        "prefix-covering-models-list",
        "tiny-reply-limit",
    ],
)
def test_an_inconsistent_schedule_is_refused(overrides: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        _schedule(**overrides)


@pytest.mark.parametrize(
    "route",
    [
        {"method": "POST", "path": "/v1/chat", "kind": "chat"},  # no model
        {"method": "POST", "path": "/v1/chat", "kind": "chat", "models": {"m": {}}},  # no cap
        {"method": "POST", "path": "/v1/chat", "kind": "chat", "flat": 3,
         "models": {"m": {"max_output_tokens": 8}}},  # flat beside per-model prices
        {"method": "POST", "path": "/v1/emb", "kind": "embeddings", "models": {"e": {}}},
        {"method": "POST", "path": "/v1/emb", "kind": "embeddings",
         "models": {"e": {"dimensions": 8, "max_dimensions": 4}}},
        {"method": "GET", "path": "/x", "kind": "http", "models": {"m": {}}},
        {"method": "POST", "path": "/v1/chat", "kind": "chat",
         "models": {"bad model": {"max_output_tokens": 8}}},
    ],
    ids=["no-model", "chat-no-cap", "flat-and-models", "embeddings-no-dimensions",
         "max-dimensions-below-default", "http-with-models", "model-name-with-space"],
)  # fmt: skip
def test_a_route_breaking_a_pricing_rule_is_refused(route: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        PriceRoute.model_validate(route)


def test_a_route_with_a_malformed_method_or_path_is_refused() -> None:
    with pytest.raises(ValidationError):
        PriceRoute(method="get", path="/x", kind=RouteKind.HTTP)
    with pytest.raises(ValidationError):
        PriceRoute(method="GET", path="x y", kind=RouteKind.HTTP)
