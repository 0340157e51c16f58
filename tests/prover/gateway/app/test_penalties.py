"""A call that breaks a policy rule is charged `penalty_max`, and the penalty is published in a
signed, hash-chained log anyone can fetch and verify at `GET /penalties`."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from gateway_harness import CHAT, chat_body, make_gateway
from gateway_world import SERVER_SK, SERVICE, check_reply, make_paid, server_pk, settings

from prover.circuits.prover import CircuitKeys, Prover
from prover.crypto.request_hash import RequestFields, request_digest
from prover.gateway.app.wiring import build_policy
from prover.gateway.embedded import create_embedded_upstream
from prover.gateway.policy.entry import PenaltyEntry, verify_log
from prover.gateway.policy.log import PenaltyLog
from prover.gateway.upstream import HttpUpstream
from prover.wire import PaymentResponse, decode_header

pytestmark = pytest.mark.slow


def test_a_forbidden_request_is_penalised_and_logged_with_evidence_bound_to_its_digest(
    request_keys: CircuitKeys, tmp_path: Path
) -> None:
    cfg = settings()
    log = PenaltyLog(tmp_path / "penalties.db", SERVER_SK)
    upstream_app = create_embedded_upstream()
    upstream = HttpUpstream("http://embedded.test", transport=httpx.ASGITransport(app=upstream_app))
    body = chat_body("please ZKC-FORBIDDEN-DEMO now")
    with Prover(request_keys) as prover:
        paid = make_paid(prover, 1, "POST", CHAT, body, b"\x51" * 16)
    with make_gateway(
        request_keys, tmp_path / "s.db", cfg, real=upstream, policy=build_policy(cfg, log),
        penalty_log=log,
    ) as gw:  # fmt: skip
        resp = gw.client.post(CHAT, content=paid.body, headers=paid.headers())
        # penalised before forwarding: never sent upstream, cost 0, p = penalty_max
        assert resp.status_code == 403, resp.text
        assert resp.json()["error"]["code"] == "policy_violation"
        assert not upstream_app.state.received
        reply = decode_header(resp.headers["PAYMENT-RESPONSE"], PaymentResponse, "H")
        assert reply.p == cfg.penalty_max > 0 and reply.cost == 0
        assert reply.evidence_hash != bytes(32)
        check_reply(paid, reply)  # E_new carries the penalty; σ_new verifies

        published = gw.client.get("/penalties")
        assert published.status_code == 200
        doc = published.json()
        entries = [PenaltyEntry.model_validate(e) for e in doc["entries"]]
        assert len(entries) == 1
        assert entries[0].evidence_hash == "0x" + reply.evidence_hash.hex()
        verify_log(entries, server_pk())
        evidence = json.loads(entries[0].evidence)
        fields = RequestFields.create(
            method="POST",
            path=CHAT,
            body=body,
            service_id=SERVICE.service_id,
            today=paid.payment.payload.today,
            request_id=b"\x51" * 16,
        )
        assert evidence["digest_kind"] == "h"
        assert evidence["request_digest"] == "0x" + request_digest(fields).to_bytes(32, "big").hex()
        assert evidence["rule"] == "demo-forbidden-marker"
        assert "ZKC-FORBIDDEN-DEMO" not in published.text  # hashes only, never the content

        assert gw.client.get("/penalties?since=-1").status_code == 400
        assert gw.client.get("/penalties?since=1").json()["entries"] == []
    log.close()
