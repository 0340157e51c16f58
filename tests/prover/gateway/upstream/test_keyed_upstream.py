"""A keyed OpenAI-compatible upstream (a real uvicorn server of this test's own, 401 without its
key): the key comes from `UpstreamSettings` (environment or file), reaches the server, and never
appears in a log record; a refused key is the provider's failure."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from prover.gateway.upstream import HttpUpstream, UpstreamConfigError
from prover.gateway.upstream.settings import UpstreamSettings
from prover.plumbing.server import ThreadedServer
from prover.pricing import preflight

from .conftest import chat_body, forward_request

KEY = "sk-test-9f1c2e7a54b3d6e8a0c1f2e3d4c5b6a7"


def _keyed_app() -> FastAPI:
    app = FastAPI()
    app.state.seen = []

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> JSONResponse:
        app.state.seen.append(dict(request.headers))
        if request.headers.get("authorization") != f"Bearer {KEY}":
            return JSONResponse({"error": {"message": "bad key"}}, status_code=401)
        usage = {"prompt_tokens": 5, "completion_tokens": 2}
        return JSONResponse({"choices": [{"message": {"content": "ok ok"}}], "usage": usage})

    return app


@pytest.fixture(scope="module")
def keyed() -> Iterator[tuple[str, FastAPI]]:
    app = _keyed_app()
    with ThreadedServer(app) as url:
        yield url, app


def _call(upstream: HttpUpstream, chat_route: object) -> object:
    async def run() -> object:
        async with upstream:
            return await upstream.forward(forward_request(chat_route, chat_body("hi")))  # type: ignore[arg-type]

    return asyncio.run(run())


def test_the_key_from_the_environment_reaches_the_upstream_and_no_log(
    keyed: tuple[str, FastAPI],
    chat_route: object,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, app = keyed
    monkeypatch.setenv("ZKCREDITS_UPSTREAM_BASE_URL", url)
    monkeypatch.setenv("ZKCREDITS_UPSTREAM_API_KEY", KEY)
    monkeypatch.setenv("ZKCREDITS_UPSTREAM_HEADERS", '{"X-Team": "blue"}')
    settings = UpstreamSettings()
    caplog.set_level(logging.DEBUG)
    with structlog.testing.capture_logs() as events:
        reply = _call(settings.build(max_response_bytes=1 << 20), chat_route)
        wrong = UpstreamSettings(api_key="sk-wrong")  # type: ignore[arg-type]
        refused = _call(wrong.build(max_response_bytes=1 << 20), chat_route)
    assert not reply.failed and reply.status == 200  # type: ignore[attr-defined]
    assert app.state.seen[-2]["authorization"] == f"Bearer {KEY}"
    assert app.state.seen[-2]["x-team"] == "blue"
    assert refused.failed and refused.status == 401  # type: ignore[attr-defined]
    logged = repr(events) + caplog.text + repr(settings) + str(settings.model_dump())
    assert KEY not in logged and "sk-wrong" not in logged
    assert any(e["event"] == "upstream_call_failed" for e in events)  # the 401 was logged


def test_a_refused_key_is_the_providers_failure_and_costs_nothing(
    keyed: tuple[str, FastAPI], chat_route: object, schedule: object
) -> None:
    url, _ = keyed
    reply = _call(UpstreamSettings(base_url=url).build(max_response_bytes=1 << 20), chat_route)
    bound = preflight.bound(schedule, chat_route, chat_body("hi"))  # type: ignore[arg-type]
    from prover.gateway.upstream import reply_cost

    assert reply.failed and reply_cost(schedule, bound, reply) == 0  # type: ignore[arg-type, attr-defined]


def test_the_key_and_headers_can_come_from_files(
    keyed: tuple[str, FastAPI], chat_route: object, tmp_path: Path
) -> None:
    url, app = keyed
    (tmp_path / "key").write_text(KEY + "\n")
    (tmp_path / "headers.json").write_text('{"X-Team": "red"}')
    for secret in ("key", "headers.json"):
        (tmp_path / secret).chmod(0o600)
    settings = UpstreamSettings(
        base_url=url, api_key_file=tmp_path / "key", headers_file=tmp_path / "headers.json"
    )
    reply = _call(settings.build(max_response_bytes=1 << 20), chat_route)
    assert reply.status == 200 and app.state.seen[-1]["x-team"] == "red"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "values",
    [
        {"base_url": "ftp://x"},
        {"base_url": "http://user:pw@host"},
        {"api_key": "a", "api_key_file": "/k"},
        {"connect_timeout_s": 0},
    ],
    ids=["scheme", "credentials-in-url", "key-twice", "zero-timeout"],
)
def test_an_unusable_setting_is_refused(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        UpstreamSettings.model_validate(values)


@pytest.mark.parametrize(
    "headers", ['{"User-Agent": "x"}', '{"Authorization": "Bearer y"}', "[1]", "{bad"]
)
def test_forbidden_or_malformed_headers_are_refused(headers: str) -> None:
    settings = UpstreamSettings(api_key="k", headers=headers)  # type: ignore[arg-type]
    with pytest.raises(UpstreamConfigError):
        settings.build(max_response_bytes=1024)
