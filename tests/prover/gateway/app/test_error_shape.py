"""Every error the gateway sends has the one JSON error shape (D8), including the ones its
frameworks would answer in their own: 405, 422, 413, an unknown model, and headers too large for
uvicorn's HTTP parser (a real uvicorn with `JsonErrorH11Protocol`). Also `/v1/models` (free) and
the published policy."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))

from gateway_world import SCHEDULE, SERVER_SK, FixedUpstream, NoPenalty, TreeChainView, settings

from prover.gateway.app import create_app
from prover.gateway.app.error_shape import JsonErrorH11Protocol
from prover.gateway.policy import RulePolicy
from prover.gateway.policy.rules import default_policy_config
from prover.gateway.store import SqliteNullifierStore
from prover.plumbing.server import ThreadedServer


def never_verifies(proof: bytes, signals: object) -> bool:
    return False  # these requests never reach verification


def _app(tmp: Path, policy: object = None) -> FastAPI:
    cfg = settings(max_body_bytes=64, max_header_bytes=2048)
    return create_app(
        cfg, chain=TreeChainView(), upstream=FixedUpstream(), policy=policy or NoPenalty(),  # type: ignore[arg-type]
        store=SqliteNullifierStore(tmp / "s.db"), keys=never_verifies, server_secret=SERVER_SK,
    )  # fmt: skip


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    policy = RulePolicy.from_config(None, penalty_max=25)
    with TestClient(_app(tmp_path, policy), raise_server_exceptions=False) as c:
        yield c


def _shape(resp: httpx.Response) -> dict[str, object]:
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"error"} and set(body["error"]) - {"ticket"} == {
        "code",
        "message",
        "field",
    }
    return body["error"]  # type: ignore[no-any-return]


def test_a_method_no_route_takes_is_a_405_in_the_error_shape(client: TestClient) -> None:
    resp = client.request("TRACE", "/v1/chat/completions")
    assert resp.status_code == 405 and _shape(resp)["code"] == "bad_request"
    assert _shape(resp)["ticket"] == "unreserved"  # refused before any ticket was reserved


def test_a_malformed_query_parameter_is_a_422_in_the_error_shape(client: TestClient) -> None:
    resp = client.get("/penalties?limit=many")
    assert resp.status_code == 422
    error = _shape(resp)
    assert (error["code"], error["field"]) == ("bad_request", "limit")


def test_a_body_over_the_limit_is_a_413_in_the_error_shape(client: TestClient) -> None:
    resp = client.post(
        "/v1/chat/completions", content=b"x" * 65, headers={"PAYMENT-SIGNATURE": "e30="}
    )
    assert resp.status_code == 413 and _shape(resp)["field"] == "body"
    assert _shape(resp)["ticket"] == "unreserved"


def test_the_models_list_is_free_and_lists_what_the_schedule_sells(client: TestClient) -> None:
    resp = client.get("/v1/models")
    assert resp.status_code == 200 and "PAYMENT-REQUIRED" not in resp.headers
    assert [m["id"] for m in resp.json()["data"]] == SCHEDULE.models()
    assert client.get("/v1/models/m").json()["id"] == "m"
    unknown = client.get("/v1/models/gpt-x")
    assert unknown.status_code == 400 and _shape(unknown)["code"] == "unknown_model"


def test_the_policy_is_published_with_its_hash(client: TestClient) -> None:
    doc = client.get("/.well-known/zkcredits/policy").json()
    assert doc["policy_hash"] == "0x" + default_policy_config().policy_hash().hex()
    assert [r["id"] for r in doc["policy"]["rules"]] == [
        r.id for r in default_policy_config().rules
    ]


def test_headers_too_large_for_uvicorns_parser_get_the_error_shape(tmp_path: Path) -> None:
    options = {"http": JsonErrorH11Protocol, "h11_max_incomplete_event_size": 4096}
    with ThreadedServer(_app(tmp_path), options=options) as url:
        resp = httpx.get(f"{url}/v1/models", headers={"X-Big": "a" * 20_000}, trust_env=False)
        assert resp.status_code == 400 and _shape(resp)["code"] == "bad_request"
        assert httpx.get(f"{url}/v1/models", trust_env=False).status_code == 200
