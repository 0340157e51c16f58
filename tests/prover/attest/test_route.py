"""The gateway's attestation route: serves the document byte for byte, or 404 not_attested."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
from fastapi import FastAPI

from prover.attest.evidence import ATTESTATION_PATH, evidence_hash, parse_evidence
from prover.attest.route import attestation_router

from .documents import write_document
from .servers import Server


def _app(path: Path | None) -> FastAPI:
    app = FastAPI()
    app.include_router(attestation_router(path))
    return app


def test_the_route_serves_the_document_bytes_so_their_hash_is_stable(tmp_path: Path) -> None:
    path = tmp_path / "attestation.json"
    body = write_document(path)
    with Server(_app(path)) as url:
        first = httpx.get(url + ATTESTATION_PATH)
        second = httpx.get(url + ATTESTATION_PATH)
    assert first.status_code == 200 and first.headers["content-type"] == "application/json"
    assert first.content == body == second.content
    assert evidence_hash(first.content) == evidence_hash(body)
    assert parse_evidence(first.content).canonical() == body


def test_a_gateway_without_attestation_answers_404_not_attested_in_the_error_shape() -> None:
    with Server(_app(None)) as url:
        reply = httpx.get(url + ATTESTATION_PATH)
    assert reply.status_code == 404
    assert reply.json() == {
        "error": {
            "code": "not_attested",
            "message": "this gateway publishes no TEE attestation",
            "field": None,
        }
    }


def test_a_new_document_is_served_without_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "attestation.json"
    write_document(path)
    with Server(_app(path)) as url:
        assert json.loads(httpx.get(url + ATTESTATION_PATH).content)["image"] == "tdx_quote image"
        new = write_document(path, "tdx_quote_td15ex")
        os.utime(path, ns=(1, 2))  # a different stamp even if the clock did not tick
        assert httpx.get(url + ATTESTATION_PATH).content == new


def test_a_corrupt_document_is_not_served_and_the_last_good_one_stays(tmp_path: Path) -> None:
    path = tmp_path / "attestation.json"
    body = write_document(path)
    with Server(_app(path)) as url:
        assert httpx.get(url + ATTESTATION_PATH).content == body
        path.write_bytes(b'{"version": 1, "quote": "not base64!"}')
        assert httpx.get(url + ATTESTATION_PATH).content == body
    fresh = tmp_path / "fresh.json"
    fresh.write_bytes(b"garbage")
    with Server(_app(fresh)) as url:
        assert httpx.get(url + ATTESTATION_PATH).status_code == 404
