"""One-time ticket keys at the gateway (PROTOCOL v3 §6, §8): the key must hash to `x` and sign
exactly the request received, before any Groth16 work; a ticket serves one request; the retry
point is the reserved `E_anon` on every path (issue 13); refusals before reservation say so."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from gateway_harness import CHAT, Gateway, Payments, chat_body, make_gateway
from gateway_world import SERVICE, Paid, make_paid, settings

from prover.circuits.prover import CircuitKeys, Prover
from prover.crypto import TicketKey, next_commitment, verify_state
from prover.crypto.request_hash import RequestFields, canonical_request
from prover.crypto.ticket_key import ED25519_Q
from prover.gateway.app.verify import verifier_from_keys
from prover.wire import PaymentResponse, decode_header

pytestmark = pytest.mark.slow


@dataclass
class CountingVerifier:
    """The real Groth16 verifier of the request keys, counting its calls."""

    keys: CircuitKeys
    calls: list[int] = field(default_factory=list)

    def __call__(self, proof: bytes, signals: Sequence[int]) -> bool:
        self.calls.append(1)
        return verifier_from_keys(self.keys)(proof, signals)


@pytest.fixture
def counted(
    request_keys: CircuitKeys, tmp_path: Path
) -> Iterator[tuple[Gateway, CountingVerifier]]:
    verifier = CountingVerifier(request_keys)
    with make_gateway(verifier, tmp_path / "store.db") as gw:
        yield gw, verifier


@pytest.fixture(scope="module")
def other_point(request_keys: CircuitKeys, payments: Payments) -> Paid:
    """`payments.chat`'s ticket, key and request, proven with another η: another E_anon."""
    chat = payments.chat
    p = chat.payment.payload
    with Prover(request_keys) as prover:
        return make_paid(
            prover, 0, "POST", CHAT, chat.body, p.request_id, p.today, chat.key, eta_value=12345
        )


def _with_payload(paid: Paid, **changes: str) -> dict[str, str]:
    raw = json.loads(base64.b64decode(paid.header))
    raw["payload"].update(changes)
    header = base64.b64encode(json.dumps(raw, separators=(",", ":")).encode()).decode()
    return {"PAYMENT-SIGNATURE": header, "content-type": "application/json"}


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def _tampered(paid: Paid) -> dict[str, str]:
    sig = bytearray(paid.payment.payload.signature)
    sig[0] ^= 0x01  # R changes, S stays canonical
    return _with_payload(paid, signature=_hex(bytes(sig)))


def _foreign_key(paid: Paid) -> dict[str, str]:
    """A valid key that signs exactly this request, but is not the key `x` was proven for."""
    p = paid.payment.payload
    fields = RequestFields.create(
        method=paid.method, path=paid.path, body=paid.body,
        service_id=SERVICE.service_id, today=p.today, request_id=p.request_id,
    )  # fmt: skip
    other = TicketKey.generate()
    return _with_payload(
        paid, pk=_hex(other.pk), signature=_hex(other.sign(canonical_request(fields)))
    )


def _second_encoding(paid: Paid) -> dict[str, str]:
    return _with_payload(paid, pk=_hex((ED25519_Q + 3).to_bytes(32, "little")))


def _small_order(paid: Paid) -> dict[str, str]:
    return _with_payload(paid, pk=_hex((1).to_bytes(32, "little")))


def _other_bytes(paid: Paid) -> dict[str, str]:
    """The ticket's own key, signing another body than the one sent."""
    return paid.resigned(body=chat_body("not what is sent")).headers()


CASES = [
    ("a tampered signature", _tampered, 402, "invalid_signature", "payload.signature"),
    ("a pk that does not hash to x", _foreign_key, 402, "key_mismatch", "payload.pk"),
    ("a non-canonical pk encoding", _second_encoding, 400, "bad_request", "payload.pk"),
    ("a pk of small order", _small_order, 400, "bad_request", "payload.pk"),
    ("a signature over other bytes", _other_bytes, 402, "invalid_signature", "payload.signature"),
]


@pytest.mark.parametrize(
    ("what", "make", "status", "code", "where"), CASES, ids=[c[0] for c in CASES]
)
def test_a_bad_key_or_signature_is_refused_before_any_groth16_work_with_nothing_reserved(
    counted: tuple[Gateway, CountingVerifier],
    payments: Payments,
    what: str,
    make: object,
    status: int,
    code: str,
    where: str,
) -> None:
    gw, verifier = counted
    paid = payments.chat
    resp = gw.client.post(CHAT, content=paid.body, headers=make(paid))  # type: ignore[operator]
    assert resp.status_code == status, resp.text
    error = resp.json()["error"]
    assert (error["code"], error["field"], error["ticket"]) == (code, where, "unreserved")
    assert verifier.calls == []
    assert gw.store.get_record(paid.nullifier) is None and gw.store.stats().total == 0
    assert gw.upstream.seen == []
    # the ticket is untouched: the honest payment still goes through
    ok = gw.client.post(CHAT, content=paid.body, headers=paid.headers())
    assert ok.status_code == 200 and verifier.calls == [1]


def test_the_same_key_with_another_request_after_service_is_refused_serves_nothing_slashes_none(
    gateway: Gateway, payments: Payments
) -> None:
    paid = payments.chat
    first = gateway.client.post(CHAT, content=paid.body, headers=paid.headers())
    assert first.status_code == 200
    other = paid.resigned(body=chat_body("a second request"), request_id=b"\x99" * 16)
    resp = gateway.client.post(CHAT, content=other.body, headers=other.headers())
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "ticket_reserved"
    assert "ticket" not in resp.json()["error"]  # it IS reserved
    # the signed state of the request the ticket served comes back: the owner can move on
    assert resp.headers["PAYMENT-RESPONSE"] == first.headers["PAYMENT-RESPONSE"]
    assert len(gateway.upstream.seen) == 1 and gateway.slashed == []
    record = gateway.store.get_record(paid.nullifier)
    assert record is not None and record.request_digest == paid.digest
    again = gateway.client.post(CHAT, content=paid.body, headers=paid.headers())
    assert again.status_code == 200 and again.content == first.content
    assert len(gateway.upstream.seen) == 1


def test_the_same_key_with_another_request_while_the_first_runs_gets_no_state(
    gateway: Gateway, payments: Payments
) -> None:
    paid = payments.chat
    gateway.store.reserve(*paid.reserve_args())  # another replica is serving it
    other = paid.resigned(body=chat_body("meanwhile"), request_id=b"\x98" * 16)
    resp = gateway.client.post(CHAT, content=other.body, headers=other.headers())
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "ticket_reserved"
    assert "PAYMENT-RESPONSE" not in resp.headers and gateway.upstream.seen == []


def test_a_refusal_before_reservation_leaves_the_ticket_for_another_request(
    gateway: Gateway, payments: Payments
) -> None:
    paid = payments.chat
    too_big = paid.resigned(
        body=b'{"model":"m","max_tokens":5000,"messages":[{"role":"user","content":"x"}]}',
        request_id=b"\x97" * 16,
    )
    refused = gateway.client.post(CHAT, content=too_big.body, headers=too_big.headers())
    assert refused.status_code == 400 and refused.json()["error"]["ticket"] == "unreserved"
    assert gateway.store.stats().total == 0
    ok = gateway.client.post(CHAT, content=paid.body, headers=paid.headers())
    assert ok.status_code == 200 and gateway.slashed == []
    assert gateway.store.stats().calls_served == 1


def test_a_retry_with_another_e_anon_is_refused_and_nothing_is_served(
    gateway: Gateway, payments: Payments, other_point: Paid
) -> None:
    paid = payments.chat
    assert other_point.payment.payload.e_anon != paid.payment.payload.e_anon
    assert (other_point.payment.payload.x, other_point.nullifier) == (
        paid.payment.payload.x,
        paid.nullifier,
    )
    first = gateway.client.post(CHAT, content=paid.body, headers=paid.headers())
    assert first.status_code == 200
    resp = gateway.client.post(CHAT, content=other_point.body, headers=other_point.headers())
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "e_anon_mismatch"
    assert "PAYMENT-RESPONSE" not in resp.headers
    assert len(gateway.upstream.seen) == 1 and gateway.slashed == []


def test_an_orphaned_ticket_is_settled_on_its_reserved_e_anon_never_the_retrys(
    request_keys: CircuitKeys, payments: Payments, other_point: Paid, tmp_path: Path
) -> None:
    """Issue 13: (nullifier, x) does not fix E_anon (η is free). A crashed replica reserved the
    ticket with point B; a retry proving point A is refused, the retry with B is settled on B."""
    paid = payments.chat
    with make_gateway(
        request_keys, tmp_path / "s.db", settings(stale_in_progress_seconds=1e-6)
    ) as gw:
        gw.store.reserve(*other_point.reserve_args())  # reserved with B, then the replica died
        wrong = gw.client.post(CHAT, content=paid.body, headers=paid.headers())
        assert wrong.status_code == 409 and wrong.json()["error"]["code"] == "e_anon_mismatch"
        assert gw.store.get_reply(paid.nullifier) is None
        settled = gw.client.post(CHAT, content=other_point.body, headers=other_point.headers())
        assert settled.status_code == 502
        reply = decode_header(settled.headers["PAYMENT-RESPONSE"], PaymentResponse, "h")
        assert reply.cost == 0 and reply.p == 0
        reserved = other_point.payment.payload.e_anon
        assert reply.E_new == next_commitment(reserved, 0, 0)
        assert verify_state(SERVICE.server_pk, SERVICE.service_id, reply.E_new, reply.sigma_new)
        assert gw.upstream.seen == []
