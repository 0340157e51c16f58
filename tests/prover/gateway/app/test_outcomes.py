"""Less common outcomes: penalties, policy bugs, exits spending a ticket, orphaned in-progress
calls, a failing slasher."""

from __future__ import annotations

from pathlib import Path

import pytest
from gateway_harness import CHAT, Payments, make_gateway
from gateway_world import SECRETS, SERVICE, check_reply, settings

from prover.circuits.prover import CircuitKeys
from prover.crypto.rln import share, slope, withdrawal_point
from prover.gateway.app import DoubleSpendEvidence
from prover.gateway.ports import ForwardRequest, PolicyDecision
from prover.wire import PaymentResponse, decode_header

pytestmark = pytest.mark.slow
EVIDENCE = bytes(range(32))


class FixedDecision:
    """In-test policy returning one decision for every call."""

    def __init__(self, decision: PolicyDecision) -> None:
        self.decision = decision

    def evaluate(self, request: ForwardRequest, reply_body: bytes) -> PolicyDecision:
        return self.decision


def _reply(headers: object) -> PaymentResponse:
    return decode_header(headers["PAYMENT-RESPONSE"], PaymentResponse, "h")  # type: ignore[index]


def test_a_policy_penalty_is_signed_into_the_state_with_its_evidence_hash(
    request_keys: CircuitKeys, payments: Payments, tmp_path: Path
) -> None:
    policy = FixedDecision(PolicyDecision(25, EVIDENCE, "rule"))
    with make_gateway(request_keys, tmp_path / "s.db", policy=policy) as gw:
        paid = payments.chat
        resp = gw.client.post(CHAT, content=paid.body, headers=paid.headers())
        reply = _reply(resp.headers)
        assert (reply.p, reply.evidence_hash) == (25, EVIDENCE)
        check_reply(paid, reply)


@pytest.mark.parametrize(
    "decision",
    [PolicyDecision(7, EVIDENCE), PolicyDecision(0, EVIDENCE), PolicyDecision(25, b"short")],
)
def test_a_decision_outside_the_rules_becomes_no_penalty(
    request_keys: CircuitKeys, payments: Payments, tmp_path: Path, decision: PolicyDecision
) -> None:
    with make_gateway(request_keys, tmp_path / "s.db", policy=FixedDecision(decision)) as gw:
        paid = payments.chat
        reply = _reply(gw.client.post(CHAT, content=paid.body, headers=paid.headers()).headers)
        assert (reply.p, reply.evidence_hash) == (0, bytes(32))
        check_reply(paid, reply)


def test_a_ticket_already_spent_by_an_exit_is_a_double_spend_that_recovers_k(
    request_keys: CircuitKeys, payments: Payments, tmp_path: Path
) -> None:
    k, sid = SECRETS[0], SERVICE.service_id
    x_w = withdrawal_point(sid)
    with make_gateway(request_keys, tmp_path / "s.db") as gw:
        paid = payments.chat
        gw.store.record_withdrawal(paid.nullifier, x_w, share(k, slope(k, 0, sid), x_w))
        resp = gw.client.post(CHAT, content=paid.body, headers=paid.headers())
        assert resp.status_code == 409 and resp.json()["error"]["code"] == "double_spend"
        (evidence,) = gw.slashed
        assert evidence.k == k and evidence.deposited
        assert gw.upstream.seen == []
        state = gw.client.get(f"/state/{paid.nullifier}")
        assert state.status_code == 410 and state.json()["error"]["code"] == "response_expired"


def test_a_failing_slasher_does_not_change_the_refusal(
    request_keys: CircuitKeys, payments: Payments, tmp_path: Path
) -> None:
    def broken(evidence: DoubleSpendEvidence) -> None:
        raise RuntimeError("rpc down")

    with make_gateway(request_keys, tmp_path / "s.db", sink=broken) as gw:
        gw.client.post(CHAT, content=payments.chat.body, headers=payments.chat.headers())
        other = payments.chat_other
        resp = gw.client.post(CHAT, content=other.body, headers=other.headers())
        assert resp.status_code == 409 and resp.json()["error"]["code"] == "double_spend"


@pytest.mark.parametrize("stale_after, settled", [(1e-6, True), (3600.0, False)])
def test_an_in_progress_ticket_not_running_here_is_settled_at_cost_zero_once_stale(
    request_keys: CircuitKeys,
    payments: Payments,
    tmp_path: Path,
    stale_after: float,
    settled: bool,
) -> None:
    """The replica rule: a record created after this process started (so rule (a) does not
    apply) and not in flight here is settled only when older than the bound."""
    cfg = settings(stale_in_progress_seconds=stale_after)
    with make_gateway(request_keys, tmp_path / "s.db", cfg) as gw:
        paid = payments.chat
        p = paid.payment.payload
        gw.store.reserve(*paid.reserve_args())  # "another replica"
        resp = gw.client.post(CHAT, content=paid.body, headers=paid.headers())
        if settled:
            assert resp.status_code == 502
            reply = _reply(resp.headers)
            assert reply.cost == 0
            check_reply(paid, reply)
        else:
            assert resp.status_code == 409 and resp.json()["error"]["code"] == "in_progress"
            assert gw.store.get_reply(p.nullifier) is None
            assert gw.client.get(f"/state/{p.nullifier}").status_code == 409
        assert gw.upstream.seen == []
