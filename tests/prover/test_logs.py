"""Structured logs: one JSON object per line for structlog events and stdlib records alike, a clear
error for a bad setting, client-side privacy, and a real gateway event with its fields."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import logging.config
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import structlog
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from uvicorn.config import LOGGING_CONFIG as UVICORN_LOGGING_CONFIG

from prover.errors import LogConfigError
from prover.gateway.ports import ForwardRequest
from prover.gateway.upstream import HttpUpstream
from prover.logs import configure_logging, get_logger, log_settings
from prover.pricing.schedule import ModelPrice, PriceRoute, RouteKind

NULLIFIER = 0x1D2F3E4A5B6C7D8E9F00112233445566778899AABBCCDDEEFF00112233445566


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """`configure_logging` is process-wide: put structlog and the stdlib loggers back."""
    saved = structlog.get_config()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {n: logging.getLogger(n).level for n in ("httpx", "httpcore")}
    yield
    structlog.configure(**saved)
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


def _json_lines(out: io.StringIO) -> list[dict[str, Any]]:
    lines = out.getvalue().splitlines()
    assert lines, "nothing was logged"
    return [json.loads(line) for line in lines]  # each line alone is one JSON object


def _assert_iso_utc(stamp: str) -> None:
    parsed = datetime.fromisoformat(stamp)
    assert parsed.utcoffset() is not None and parsed.utcoffset() == UTC.utcoffset(None)


def test_json_logs_are_one_object_per_line_for_structlog_events_and_stdlib_records() -> None:
    # uvicorn's loggers as a uvicorn run earlier in this process with its default config left them
    logging.config.dictConfig(UVICORN_LOGGING_CONFIG)
    out = io.StringIO()
    configure_logging("json", "info", stream=out)
    get_logger("zkcredits.gateway.slasher").warning("slash_queued", note_id=NULLIFIER, reason="x")
    logging.getLogger("uvicorn.error").info("Uvicorn running on %s", "http://127.0.0.1:8402")
    access = logging.getLogger("uvicorn.access")
    access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/healthz", "1.1", 200)
    get_logger("zkcredits.gateway").debug("below_the_level")

    ours, uvicorn_line, access_line = _json_lines(out)
    assert ours["event"] == "slash_queued" and ours["level"] == "warning"
    assert ours["logger"] == "zkcredits.gateway.slasher"
    assert ours["note_id"] == str(NULLIFIER)  # above 2**53: a string, never a rounded number
    assert ours["reason"] == "x"
    assert uvicorn_line["event"] == "Uvicorn running on http://127.0.0.1:8402"
    assert (uvicorn_line["level"], uvicorn_line["logger"]) == ("info", "uvicorn.error")
    assert access_line["event"] == "http_request"
    assert (access_line["method"], access_line["path"], access_line["status"]) == (
        "GET",
        "/healthz",
        200,
    )
    for line in (ours, uvicorn_line, access_line):
        _assert_iso_utc(line["timestamp"])


def test_console_logs_carry_the_same_fields_on_one_line() -> None:
    out = io.StringIO()
    configure_logging("console", "debug", stream=out)
    get_logger("zkcredits.gateway").debug("reserve_failed", nullifier=42, error="busy")
    (line,) = out.getvalue().splitlines()
    stamp, rest = line.split(" ", 1)
    _assert_iso_utc(stamp)
    assert "[debug" in rest and "reserve_failed" in rest and "[zkcredits.gateway]" in rest
    assert "error=busy" in rest and "nullifier=42" in rest


def test_a_bad_log_setting_is_an_error_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ZKCREDITS_LOG_FORMAT", "xml")
    with pytest.raises(LogConfigError, match=r"ZKCREDITS_LOG_FORMAT: 'xml' is not one of") as e:
        configure_logging()
    assert e.value.field == "format"
    monkeypatch.setenv("ZKCREDITS_LOG_FORMAT", "JSON")
    monkeypatch.setenv("ZKCREDITS_LOG_LEVEL", "loud")
    with pytest.raises(LogConfigError, match=r"ZKCREDITS_LOG_LEVEL: 'loud' is not one of debug"):
        log_settings()
    assert log_settings(level="Warning").model_dump() == {"format": "json", "level": "warning"}
    with pytest.raises(LogConfigError, match=r"log format argument: 'yaml'"):
        log_settings(fmt="yaml")


def test_the_gateway_command_stops_on_a_bad_log_format_with_one_clear_line(
    tmp_path: Any,
) -> None:
    env = {**os.environ, "ZKCREDITS_LOG_FORMAT": "xml"}
    cmd = [sys.executable, "-m", "prover.cli.main", "gateway", "serve"]
    cmd += ["--server-key", str(tmp_path / "absent.key")]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2  # a malformed setting, like a usage error (prover.cli.errors)
    assert "ZKCREDITS_LOG_FORMAT: 'xml' is not one of console, json" in done.stderr
    assert "Traceback" not in done.stderr


def test_client_side_tracebacks_withhold_messages_and_httpx_urls_stay_unlogged() -> None:
    out = io.StringIO()
    configure_logging("json", "debug", stream=out)
    for name in ("zkcredits.client.proxy", "zkcredits.gateway"):
        try:
            try:
                raise KeyError(f"note {NULLIFIER} secret")
            except KeyError as inner:
                raise ValueError(f"note {NULLIFIER} is spent") from inner
        except ValueError:
            get_logger(name).exception("proxy_error", method="POST")
    logging.getLogger("httpx").info("HTTP Request: GET http://gw.test/state/%d", NULLIFIER)

    client, gateway = _json_lines(out)
    assert client["event"] == gateway["event"] == "proxy_error"
    assert "builtins.KeyError: (message withheld)" in client["exception"]
    assert "builtins.ValueError: (message withheld)" in client["exception"]
    assert "test_logs.py" in client["exception"]  # the frames are kept
    assert str(NULLIFIER) not in client["exception"]
    assert f"ValueError: note {NULLIFIER} is spent" in gateway["exception"]  # the gateway may


def test_an_upstream_failure_is_logged_as_a_structured_gateway_event() -> None:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def busy() -> JSONResponse:
        return JSONResponse({"error": "busy"}, status_code=503)

    route = PriceRoute(
        method="POST",
        path="/v1/chat/completions",
        kind=RouteKind.CHAT,
        models={"m": ModelPrice(flat=1, max_output_tokens=8)},
    )
    request = ForwardRequest(
        method="POST",
        path="/v1/chat/completions",
        body=b'{"model":"m","messages":[],"max_tokens":8}',
        content_type="application/json",
        route=route,
        max_output_tokens=8,
    )
    upstream = HttpUpstream("http://upstream.test", transport=httpx.ASGITransport(app=app))
    with structlog.testing.capture_logs() as events:
        reply = asyncio.run(upstream.forward(request))
    assert reply.failed and reply.status == 503
    assert events == [
        {
            "event": "upstream_call_failed",
            "log_level": "warning",
            "status": 503,
            "reason": "upstream status 503",
        }
    ]
