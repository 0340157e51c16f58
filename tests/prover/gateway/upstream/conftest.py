"""Fixtures of the upstream tests: a schedule, the real embedded upstream, request builders."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from prover.gateway.embedded import create_embedded_upstream
from prover.gateway.embedded.app import CHAT_MODEL, EMBED_MODEL
from prover.gateway.ports import ForwardRequest
from prover.gateway.upstream import HttpUpstream
from prover.pricing.schedule import ModelPrice, PriceRoute, PriceSchedule, RouteKind

CAP = 40
CHAT_PRICE = ModelPrice(
    flat=1, per_1k_input_tokens=1000, per_1k_output_tokens=2000, max_output_tokens=CAP
)
EMBED_PRICE = ModelPrice(per_1k_input_tokens=3000, dimensions=32, max_dimensions=1024)


@pytest.fixture
def schedule() -> PriceSchedule:
    return PriceSchedule(
        quantum=5,
        c_max=500,
        routes=(
            PriceRoute(
                method="POST",
                path="/v1/chat/completions",
                kind=RouteKind.CHAT,
                models={CHAT_MODEL: CHAT_PRICE},
            ),
            PriceRoute(
                method="POST",
                path="/v1/embeddings",
                kind=RouteKind.EMBEDDINGS,
                models={EMBED_MODEL: EMBED_PRICE},
            ),
            PriceRoute(method="GET", path="/search", kind=RouteKind.HTTP, flat=7),
        ),
    )


@pytest.fixture
def chat_route(schedule: PriceSchedule) -> PriceRoute:
    route = schedule.route_for("POST", "/v1/chat/completions")
    assert route is not None
    return route


@pytest.fixture
def embeddings_route(schedule: PriceSchedule) -> PriceRoute:
    route = schedule.route_for("POST", "/v1/embeddings")
    assert route is not None
    return route


@pytest.fixture
def search_route(schedule: PriceSchedule) -> PriceRoute:
    route = schedule.route_for("GET", "/search")
    assert route is not None
    return route


def chat_body(prompt: str, *, max_tokens: int = CAP, **extra: Any) -> bytes:
    body: dict[str, Any] = {
        "model": "zk-embedded-chat",
        "messages": [{"role": "user", "content": prompt}],
    }
    body["max_tokens"] = max_tokens
    body.update(extra)
    return json.dumps(body).encode()


def forward_request(
    route: PriceRoute, body: bytes, *, path: str | None = None, method: str | None = None
) -> ForwardRequest:
    return ForwardRequest(
        method=method or route.method,
        path=path or route.path,
        body=body,
        content_type="application/json" if body else None,
        route=route,
        max_output_tokens=CAP if route.kind is RouteKind.CHAT else 0,
    )


@pytest.fixture
def embedded() -> FastAPI:
    return create_embedded_upstream()


@pytest.fixture
def upstream_for() -> Callable[..., HttpUpstream]:
    """`upstream_for(app, **kwargs)`: an HttpUpstream talking to `app` in process (ASGI)."""

    def make(app: FastAPI, **kwargs: Any) -> HttpUpstream:
        kwargs.setdefault("timeout", 10.0)
        return HttpUpstream(
            "http://upstream.test", transport=httpx.ASGITransport(app=app), **kwargs
        )

    return make
