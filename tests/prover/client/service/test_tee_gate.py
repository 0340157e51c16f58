"""The prover service under `--require-tee`: no paid call unless the provider's attestation passes.

The proxy app is the real one; the handler behind it records what reached it (the payer's place),
so a refusal is shown to stop the call before any payment code runs. The gateway is a real HTTPS
server serving a real TDX quote and its collateral; the check runs at the vectors' fixed time
with the quote's own `report_data` as the expected binding (tests/prover/client/test_tee_check.py
covers the refusals of the honest binding).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/prover: the attest helpers
from attest.documents import TLS_KEY, binding_with_tls_key, write_document
from attest.servers import Server, client_tls_context
from attest.vectors import vector
from zkcredits_testing.devprovider import DEV_SCHEDULE

from prover.attest.fetch import DirectTransport
from prover.attest.pins import PinnedImage
from prover.attest.quote import parse_tdx_quote
from prover.attest.registration import TeeRegistration
from prover.attest.require import AttestationCache
from prover.attest.route import attestation_router
from prover.client.payer.payer import PaidReply, StreamedReply
from prover.client.profile import ProviderPin
from prover.client.service import ProxySecurity, create_proxy_app
from prover.client.service.tee_gate import TeeGate
from prover.client.tee_check import check_provider_tee, expectation_for
from prover.client.wallet import ServiceParams
from prover.crypto import Point, service_id
from prover.wire.required import VkHashes

V = vector("tdx_quote")
QUOTE = parse_tdx_quote(V.raw)
VAULT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
TOKEN = "t" * 20 + "0123456789abcdefXYZ"
PORT = 48124
TLS = DirectTransport(verify=client_tls_context())


@dataclass
class RecordingHandler:
    calls: list[str] = field(default_factory=list)

    async def call(self, method: str, target: str, body: bytes, ctype: str | None) -> PaidReply:
        self.calls.append(target)
        return PaidReply(status=200, content_type="application/json", body=b'{"ok":true}')

    async def call_stream(
        self, method: str, target: str, body: bytes, ctype: str | None
    ) -> StreamedReply:
        self.calls.append(target)

        async def events() -> AsyncIterator[bytes]:
            yield b"data: [DONE]\n\n"

        return StreamedReply(200, "text/event-stream", events(), note_id=1)


class CountingTransport:
    def __init__(self) -> None:
        self.fetches = 0

    def stream(self, method: str, url: str) -> AbstractContextManager[httpx.Response]:
        self.fetches += 1
        return TLS.stream(method, url)


def _pin(url: str) -> ProviderPin:
    image = PinnedImage(image="tdx_quote image", **QUOTE.measurements.model_dump())
    return ProviderPin(
        agent_id=3, identity_registry="0x" + "12" * 20, gateway_url=url,
        service=ServiceParams(
            chain_id=31337, vault_address=VAULT, service_id=service_id(31337, VAULT),
            server_pk=Point(*binding_with_tls_key().server_pk), c_max=1000, reserve=2000,
            penalty_max=2000, unit=10**9,
        ),
        asset="native", min_deposit=10_000, note_ttl_days=30, exit_grace_days=7,
        exit_delay=172800, root_epoch=600, root_ttl=3600, max_depth=20,
        price_schedule=DEV_SCHEDULE,
        vk_hashes=VkHashes(request=b"\x01" * 32, withdraw=b"\x02" * 32, slash=b"\x03" * 32),
        tee=TeeRegistration(gateway_key=TLS_KEY, images=(image,)), tee_required=True,
    )  # fmt: skip


@pytest.fixture
def document(tmp_path: Path) -> Path:
    path = tmp_path / "attestation.json"
    write_document(path)
    return path


@pytest.fixture
def gateway(document: Path) -> Iterator[str]:
    app = FastAPI()
    app.include_router(attestation_router(document))
    with Server(app, tls=True) as url:
        yield url


def _gate(pin: ProviderPin, transport: CountingTransport, recheck_seconds: float) -> TeeGate:
    expectation = expectation_for(pin).model_copy(update={"report_data": QUOTE.report_data})
    cache = AttestationCache()

    def check() -> object:
        return check_provider_tee(
            pin, transport=transport, cache=cache, now=lambda: V.now, expectation=expectation
        )

    return TeeGate(check, recheck_seconds=recheck_seconds)  # type: ignore[arg-type]


async def _call(gate: TeeGate, handler: RecordingHandler) -> httpx.Response:
    app = create_proxy_app(handler, ProxySecurity.build(TOKEN, PORT, ()), tee=gate)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=f"http://127.0.0.1:{PORT}"
    ) as client:
        return await client.post(
            "/v1/chat/completions",
            content=b'{"model":"m","messages":[]}',
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )


def test_an_attested_provider_is_paid_and_not_fetched_again_within_the_recheck_period(
    gateway: str,
) -> None:
    transport, handler = CountingTransport(), RecordingHandler()
    gate = _gate(_pin(gateway), transport, recheck_seconds=3600)
    first = asyncio.run(_call(gate, handler))
    second = asyncio.run(_call(gate, handler))
    assert (first.status_code, second.status_code) == (200, 200)
    assert len(handler.calls) == 2 and transport.fetches == 1
    assert gate.quote_sha256 == QUOTE.sha256


def test_a_changed_attestation_refuses_the_next_call_before_any_payment_and_a_fixed_one_heals(
    gateway: str, document: Path
) -> None:
    transport, handler = CountingTransport(), RecordingHandler()
    gate = _gate(_pin(gateway), transport, recheck_seconds=0)
    assert asyncio.run(_call(gate, handler)).status_code == 200
    write_document(document, binding=binding_with_tls_key(vault="0x" + "77" * 20))
    refused = asyncio.run(_call(gate, handler))
    assert refused.status_code == 502
    error = refused.json()["error"]
    assert error["code"] == "tee_refused" and "`binding`" in error["message"]
    assert handler.calls == ["/v1/chat/completions"]  # the refused call reached no payer
    write_document(document)  # the provider serves its attested document again
    assert asyncio.run(_call(gate, handler)).status_code == 200
    assert len(handler.calls) == 2 and transport.fetches == 3
