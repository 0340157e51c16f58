"""Costs are quantised, capped at c_max, and the schedule hash pins every price."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from prover.pricing import PriceRoute, PriceSchedule, RouteKind, Usage


def _schedule(**overrides: object) -> PriceSchedule:
    routes = (
        PriceRoute(
            method="POST",
            path="/v1/chat/completions",
            kind=RouteKind.CHAT,
            flat=10,
            per_1k_input_tokens=50,
            per_1k_output_tokens=150,
            max_output_tokens=512,
        ),
        PriceRoute(method="POST", path="/v1/embeddings", kind=RouteKind.EMBEDDINGS, flat=5),
        PriceRoute(method="GET", path="/search", kind=RouteKind.HTTP, flat=20),
    )
    fields: dict[str, object] = {"quantum": 10, "c_max": 200, "routes": routes, **overrides}
    return PriceSchedule.model_validate(fields)


@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_every_cost_is_a_multiple_of_the_quantum_and_at_most_c_max(
    tokens_in: int, tokens_out: int
) -> None:
    schedule = _schedule()
    route = schedule.route_for("POST", "/v1/chat/completions")
    assert route is not None
    cost = schedule.cost(route, Usage(input_tokens=tokens_in, output_tokens=tokens_out))
    assert schedule.is_valid_cost(cost)
    assert cost >= min(schedule.c_max, route.raw_cost(Usage(input_tokens=tokens_in)))


def test_a_cost_rounds_up_to_the_next_quantum() -> None:
    schedule = _schedule()
    route = schedule.route_for("POST", "/v1/chat/completions")
    assert route is not None
    # 10 flat + ceil(100·50/1000 + 100·150/1000) = 10 + 20 = 30 → 30
    assert schedule.cost(route, Usage(input_tokens=100, output_tokens=100)) == 30
    # 10 + ceil(1·50/1000) = 11 → 20
    assert schedule.cost(route, Usage(input_tokens=1)) == 20


def test_routes_match_by_method_and_longest_path_prefix() -> None:
    schedule = _schedule()
    assert schedule.route_for("GET", "/search?q=x") is not None
    assert schedule.route_for("POST", "/search") is None
    assert schedule.route_for("GET", "/admin") is None


def test_the_hash_changes_with_any_price_and_not_with_construction_order() -> None:
    first = _schedule()
    assert first.schedule_hash() == _schedule().schedule_hash()
    assert len(first.schedule_hash()) == 32
    assert first.schedule_hash() != _schedule(quantum=20).schedule_hash()
    assert first.schedule_hash() != _schedule(c_max=300).schedule_hash()


@pytest.mark.parametrize(
    "overrides",
    [
        {"c_max": 205},  # not a multiple of the quantum
        {"quantum": 0},
        {"routes": ()},
        {"routes": (PriceRoute(method="GET", path="/x", kind=RouteKind.HTTP, flat=500),)},
        {"routes": (PriceRoute(method="POST", path="/v1/chat", kind=RouteKind.CHAT),)},
    ],
    ids=["c_max-off-quantum", "zero-quantum", "no-routes", "flat-above-c_max", "chat-no-cap"],
)
def test_an_inconsistent_schedule_is_refused(overrides: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        _schedule(**overrides)


def test_a_route_with_a_malformed_method_or_path_is_refused() -> None:
    with pytest.raises(ValidationError):
        PriceRoute(method="get", path="/x", kind=RouteKind.HTTP)
    with pytest.raises(ValidationError):
        PriceRoute(method="GET", path="x y", kind=RouteKind.HTTP)
