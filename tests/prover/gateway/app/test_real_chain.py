"""The gateway on a real chain: a vault deployed on Anvil by `prover.chain.deploy.service`, the
chain
side's `VaultMirror` + `MirrorChainView` (final checkpoints), a note deposited on chain, the real
upstream side (embedded upstream through `HttpUpstream`) and rule policy, real proofs."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from prover.chain.vault import CreditVaultClient
from prover.circuits.inputs import CallParams, Note, NoteState, ServiceParams, request_inputs
from prover.circuits.prover import CircuitKeys, Prover
from prover.crypto import eta, genesis_opening, next_opening, note_id, public_key, rho0
from prover.crypto.commitment import commit, verify_state
from prover.crypto.request_hash import RequestFields
from prover.crypto.ticket_key import TicketKey
from prover.gateway.app import DoubleSpendEvidence, GatewaySettings, create_app
from prover.gateway.app.wiring import build_policy
from prover.gateway.chain import MirrorChainView
from prover.gateway.embedded import create_embedded_upstream
from prover.gateway.store import SqliteNullifierStore
from prover.gateway.upstream import HttpUpstream
from prover.wire import PaymentResponse, decode_header, signed_payment
from prover.wire import encode_header as encode
from prover.wire.required import VkHashes

_CHAIN_CONFTEST = Path(__file__).resolve().parents[3] / "prover" / "chain" / "conftest.py"
if "zkc_chain_fixtures" in sys.modules:
    chain_fixtures = sys.modules["zkc_chain_fixtures"]
else:
    _spec = importlib.util.spec_from_file_location("zkc_chain_fixtures", _CHAIN_CONFTEST)
    assert _spec is not None and _spec.loader is not None
    chain_fixtures = importlib.util.module_from_spec(_spec)
    sys.modules["zkc_chain_fixtures"] = chain_fixtures
    _spec.loader.exec_module(chain_fixtures)

circuits_built = chain_fixtures.circuits_built
deployment = chain_fixtures.deployment
net = chain_fixtures.net
SERVER_SECRET: int = chain_fixtures.SERVER_SECRET
DAY = 86_400
PATH = "/v1/embeddings"

pytestmark = pytest.mark.slow


@dataclass
class ChainGateway:
    client: TestClient
    vault: CreditVaultClient
    mirror: Any
    service: ServiceParams
    k: int
    index: int
    deposit: int
    expiry: int
    today: int
    slashed: list[DoubleSpendEvidence]

    def pay(self, prover: Prover, body: bytes, request_id: bytes) -> tuple[bytes, str]:
        """A real proof for ticket 0 of the on-chain note, against the mirror's final root,
        under a fresh one-time key (two calls: two keys, two shares of one ticket)."""
        sid = self.service.service_id
        fields = RequestFields.create(
            method="POST", path=PATH, body=body, service_id=sid, today=self.today,
            request_id=request_id,
        )  # fmt: skip
        note = Note(k=self.k, D=self.deposit, expiry=self.expiry,
                    proof=self.mirror.merkle_proof(self.index))  # fmt: skip
        key = TicketKey.generate()
        call = CallParams(x=key.x, today=self.today, eta=eta(self.k, 0, sid))
        state = NoteState.genesis(rho0(self.k, sid))
        proof = prover.prove(request_inputs(note, state, self.service, call))
        header = signed_payment(
            network=f"eip155:{self.vault.w3.eth.chain_id}",
            proof=proof.calldata,
            public_signals=[int(s) for s in proof.public_signals],
            key=key,
            request=fields,
        )
        return body, encode(header)


@pytest.fixture
def chain_gateway(net: Any, tmp_path: Path) -> Iterator[ChainGateway]:
    vault = net.fresh_vault()
    mirror = net.open_mirror(vault)
    k = chain_fixtures.random_secret()
    net.deposit(vault, k)
    net.next_epoch()
    net.settle(mirror)
    record = mirror.deposit_of(note_id(k))
    assert record is not None
    params = vault.params()
    schedule = chain_fixtures.deploy_config().price_schedule
    settings = GatewaySettings(
        chain_id=int(net.w3.eth.chain_id),
        vault=vault.address,
        unit=params.unit,
        c_max=params.c_max,
        reserve=params.reserve,
        penalty_max=params.penalty_max,
        price_schedule=schedule,
        vk_hashes=VkHashes(
            request=b"\x00" * 32,
            withdraw=params.withdraw_vk_hash,
            slash=params.slash_vk_hash,
        ),
        root_epoch=params.root_epoch,
        root_ttl=params.root_ttl,
    )
    assert settings.service_id == mirror.service_id
    service = ServiceParams(
        service_id=mirror.service_id,
        c_max=params.c_max,
        reserve=params.reserve,
        penalty_max=params.penalty_max,
        server_pk=public_key(SERVER_SECRET),
    )
    upstream = HttpUpstream(
        "http://embedded.test", transport=httpx.ASGITransport(app=create_embedded_upstream())
    )
    slashed: list[DoubleSpendEvidence] = []
    store = SqliteNullifierStore(tmp_path / "nullifiers.sqlite")
    app = create_app(
        settings,
        chain=MirrorChainView(mirror),
        upstream=upstream,
        policy=build_policy(settings),
        store=store,
        keys=CircuitKeys.load("request"),
        server_secret=SERVER_SECRET,
        double_spend_sink=slashed.append,
        clock=lambda: float(net.timestamp()),  # the chain's clock: Anvil time is advanced
    )
    today = net.timestamp() // DAY
    with TestClient(app, raise_server_exceptions=False) as client:
        yield ChainGateway(
            client, vault, mirror, service, k, record.index, record.deposit, record.expiry,
            today, slashed,
        )  # fmt: skip
    store.close()
    mirror.close()


def test_a_note_deposited_on_chain_pays_through_the_gateway_and_a_second_spend_is_caught(
    chain_gateway: ChainGateway,
) -> None:
    gw = chain_gateway
    unpaid = gw.client.post(PATH, content=b"{}")
    assert unpaid.status_code == 402
    with Prover(CircuitKeys.load("request")) as prover:
        body, header = gw.pay(prover, b'{"model":"m","input":"hello chain"}', b"\x01" * 16)
        other_body, other = gw.pay(prover, b'{"model":"m","input":"again"}', b"\x02" * 16)
    resp = gw.client.post(PATH, content=body, headers={"PAYMENT-SIGNATURE": header})
    assert resp.status_code == 200, resp.text
    reply = decode_header(resp.headers["PAYMENT-RESPONSE"], PaymentResponse, "h")
    sid = gw.service.service_id
    opening = next_opening(
        genesis_opening(gw.k, note_id(gw.k), sid), eta(gw.k, 0, sid), reply.cost, reply.p
    )
    assert reply.E_new == commit(opening)
    assert verify_state(gw.service.server_pk, sid, reply.E_new, reply.sigma_new)
    assert reply.cost % 10 == 0 and 0 < reply.cost <= gw.service.c_max
    second = gw.client.post(PATH, content=other_body, headers={"PAYMENT-SIGNATURE": other})
    assert second.status_code == 409 and second.json()["error"]["code"] == "double_spend"
    (evidence,) = gw.slashed
    assert evidence.k == gw.k and evidence.deposited  # checked against the chain's deposits
