"""The full pipeline: two paid HTTP calls on one ticket through the real gateway app
(`create_app`, real request proofs, the real nullifier store) with the slasher as its
double-spend sink; the second call is refused and the note is slashed on chain."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from zkcredits_testing.devkeys import anvil_account

from prover.chain.vault import NoteStatus
from prover.circuits.inputs import CallParams, Note, NoteState, ServiceParams, request_inputs
from prover.circuits.prover import CircuitKeys, Prover
from prover.crypto import eta, note_id, public_key, rho0
from prover.crypto.request_hash import RequestFields
from prover.crypto.ticket_key import TicketKey
from prover.gateway.app import GatewaySettings, create_app
from prover.gateway.app.wiring import build_policy
from prover.gateway.chain import JobStatus, MirrorChainView, Slasher, ticket_nullifier
from prover.gateway.embedded import create_embedded_upstream
from prover.gateway.store import Kind, SqliteNullifierStore
from prover.gateway.upstream import HttpUpstream
from prover.wire import encode_header as encode
from prover.wire import signed_payment
from prover.wire.required import VkHashes

DevNet = Any
PATH = "/v1/embeddings"


@pytest.mark.slow
def test_a_second_paid_call_on_one_ticket_through_the_app_gets_the_note_slashed(
    net: DevNet, store: SqliteNullifierStore, deployment: Any, secret: Any, server_secret: int
) -> None:
    vault = net.fresh_vault()
    mirror = net.open_mirror(vault)
    k = secret()
    nid = note_id(k)
    net.deposit(vault, k)
    net.next_epoch()
    net.settle(mirror)
    record = mirror.deposit_of(nid)
    assert record is not None
    params = vault.params()
    settings = GatewaySettings(
        chain_id=int(net.w3.eth.chain_id), vault=vault.address, unit=params.unit,
        c_max=params.c_max, reserve=params.reserve, penalty_max=params.penalty_max,
        price_schedule=deployment.price_schedule,
        vk_hashes=VkHashes(request=b"\x00" * 32, withdraw=params.withdraw_vk_hash,
                           slash=params.slash_vk_hash),
        root_epoch=params.root_epoch, root_ttl=params.root_ttl,
    )  # fmt: skip
    sid = mirror.service_id
    service = ServiceParams(
        service_id=sid, c_max=params.c_max, reserve=params.reserve,
        penalty_max=params.penalty_max, server_pk=public_key(server_secret),
    )  # fmt: skip
    slasher = Slasher(net.w3, mirror, store, anvil_account(6), net.tmp / "jobs.sqlite")
    app = create_app(
        settings, chain=MirrorChainView(mirror),
        upstream=HttpUpstream("http://embedded.test",
                              transport=httpx.ASGITransport(app=create_embedded_upstream())),
        policy=build_policy(settings), store=store, keys=CircuitKeys.load("request"),
        server_secret=server_secret, double_spend_sink=slasher,
        clock=lambda: float(net.timestamp()),
    )  # fmt: skip
    today = net.timestamp() // 86_400

    def paid(prover: Prover, body: bytes, request_id: bytes) -> str:
        fields = RequestFields.create(method="POST", path=PATH, body=body, service_id=sid,
                                      today=today, request_id=request_id)  # fmt: skip
        note = Note(k=k, D=record.deposit, expiry=record.expiry,
                    proof=mirror.merkle_proof(record.index))  # fmt: skip
        key = TicketKey.generate()  # each call its own key: two shares of one ticket
        call = CallParams(x=key.x, today=today, eta=eta(k, 0, sid))
        proof = prover.prove(request_inputs(note, NoteState.genesis(rho0(k, sid)), service, call))
        return encode(signed_payment(
            network=f"eip155:{net.w3.eth.chain_id}", proof=proof.calldata,
            public_signals=[int(s) for s in proof.public_signals], key=key, request=fields,
        ))  # fmt: skip

    first_body, second_body = b'{"model":"m","input":"one"}', b'{"model":"m","input":"two"}'
    with Prover(CircuitKeys.load("request")) as prover:
        first = paid(prover, first_body, b"\x01" * 16)
        second = paid(prover, second_body, b"\x02" * 16)
    treasury_before = vault.owed(net.treasury)
    with TestClient(app, raise_server_exceptions=False) as client:
        ok = client.post(PATH, content=first_body, headers={"PAYMENT-SIGNATURE": first})
        assert ok.status_code == 200, ok.text
        refused = client.post(PATH, content=second_body, headers={"PAYMENT-SIGNATURE": second})
        assert refused.status_code == 409
        assert refused.json()["error"]["code"] == "double_spend"
    job = slasher.jobs.get(nid)
    assert job is not None and job.k == k and job.denied_from == 1
    (done,) = slasher.process_pending()
    assert done.status is JobStatus.DONE
    assert vault.note(nid).status is NoteStatus.SLASHED
    assert vault.owed(net.treasury) - treasury_before == record.deposit * params.unit
    denied = store.get_record(ticket_nullifier(k, 1, sid))
    assert denied is not None and denied.kind is Kind.DENIED
    slasher.close()
    mirror.close()
