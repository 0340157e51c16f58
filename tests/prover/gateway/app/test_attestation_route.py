"""`GET /.well-known/zkcredits/attestation` on the gateway app: the TEE attestation document, free.

The document is a real TDX quote with its real Intel collateral (tests/vectors/tdx), written the
way `zkcredits gateway attest --out` writes it; the gateway is the real app on a real SQLite store.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from gateway_harness import CHAT, chat_body
from gateway_world import SCHEDULE, SERVER_SK, FixedUpstream, NoPenalty, TreeChainView, settings

from prover.attest.binding import Binding
from prover.attest.collateral import parse_collateral
from prover.attest.evidence import ATTESTATION_PATH, AttestationEvidence, parse_evidence
from prover.attest.gateway_key import GatewayKey
from prover.circuits.prover import CircuitKeys
from prover.crypto import public_key
from prover.gateway.app import GatewaySettings, create_app
from prover.gateway.store import SqliteNullifierStore
from prover.pricing.schedule import PriceRoute, RouteKind
from prover.wire import HEADER_REQUIRED

TDX = Path(__file__).resolve().parents[3] / "vectors" / "tdx"


def _document_bytes() -> bytes:
    pk = public_key(SERVER_SK)
    cfg = settings()
    return AttestationEvidence(
        quote=(TDX / "tdx_quote").read_bytes(),
        collateral=parse_collateral((TDX / "tdx_quote_collateral.json").read_text()),
        binding=Binding(
            chain_id=cfg.chain_id,
            vault=cfg.vault,
            server_pk=(pk.x, pk.y),
            gateway_key=GatewayKey(kind="tls-spki-sha256", sha256=b"\x01" * 32),
        ),
        image="test image",
        generated_at=1751328000,
    ).canonical()


@pytest.fixture
def document(tmp_path: Path) -> tuple[Path, bytes]:
    path = tmp_path / "attestation.json"
    body = _document_bytes()
    path.write_bytes(body)
    return path, body


def _client(cfg: GatewaySettings, keys: CircuitKeys, db: Path) -> Iterator[TestClient]:
    store = SqliteNullifierStore(db)
    app = create_app(
        cfg,
        chain=TreeChainView(),
        upstream=FixedUpstream(),
        policy=NoPenalty(),
        store=store,
        keys=keys,
        server_secret=SERVER_SK,
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    store.close()


def test_a_configured_attestation_is_served_byte_for_byte_without_a_ticket(
    request_keys: CircuitKeys, tmp_path: Path, document: tuple[Path, bytes]
) -> None:
    path, body = document
    for client in _client(settings(attestation_file=path), request_keys, tmp_path / "s.db"):
        reply = client.get(ATTESTATION_PATH)
        assert reply.status_code == 200
        assert reply.content == body
        assert HEADER_REQUIRED not in reply.headers
        assert parse_evidence(reply.content).quote == parse_evidence(body).quote
        # the paid routes are untouched: a chat call without a ticket still gets its terms
        unpaid = client.post(
            CHAT, content=chat_body("hi"), headers={"content-type": "application/json"}
        )
        assert unpaid.status_code == 402


def test_without_an_attestation_the_path_answers_not_attested(
    request_keys: CircuitKeys, tmp_path: Path
) -> None:
    for client in _client(settings(), request_keys, tmp_path / "s.db"):
        reply = client.get(ATTESTATION_PATH)
        assert reply.status_code == 404
        assert reply.json()["error"]["code"] == "not_attested"


def test_a_schedule_selling_the_well_known_prefix_does_not_put_the_attestation_behind_a_payment(
    request_keys: CircuitKeys, tmp_path: Path, document: tuple[Path, bytes]
) -> None:
    everything = PriceRoute(method="GET", path="/.well-known", kind=RouteKind.HTTP, flat=4)
    schedule = SCHEDULE.model_copy(update={"routes": (*SCHEDULE.routes, everything)})
    path, body = document
    cfg = settings(attestation_file=path, price_schedule=schedule)
    for client in _client(cfg, request_keys, tmp_path / "s.db"):
        assert client.get("/.well-known/other").status_code == 402  # the catch-all sells it
        reply = client.get(ATTESTATION_PATH)
        assert (reply.status_code, reply.content) == (200, body)


def test_the_attestation_path_counts_against_the_unpaid_request_rate(
    request_keys: CircuitKeys, tmp_path: Path, document: tuple[Path, bytes]
) -> None:
    path, _body = document
    cfg = settings(attestation_file=path, unpaid_rate_per_s=0.001, unpaid_burst=2)
    for client in _client(cfg, request_keys, tmp_path / "s.db"):
        codes = [client.get(ATTESTATION_PATH).status_code for _ in range(3)]
        assert codes == [200, 200, 429]


def test_the_attestation_file_is_a_gateway_setting_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, document: tuple[Path, bytes]
) -> None:
    path, _body = document
    monkeypatch.setenv("ZKCREDITS_GATEWAY_ATTESTATION_FILE", str(path))
    assert settings().attestation_file == path
