"""`--require-tee` on the client: the provider's attestation, verified against the client's pin.

The gateway is a real HTTP(S) server serving a real TDX quote with its real Intel collateral
(tests/vectors/tdx) through the route the gateway app mounts. The quote's `report_data` is a hash
that binds nobody we can pin, so the honest expectation ends in a refusal naming the binding; the
accepting path sets the quote's own `report_data` as the expected binding (as the issue allows).
Verification runs at the vectors' fixed time, except where the real time is the point.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/prover: the attest helpers
from attest.documents import TLS_KEY, binding_with_tls_key, write_document
from attest.servers import Server, client_tls_context
from attest.vectors import vector
from zkcredits_testing.devprovider import DEV_SCHEDULE

from prover.attest.binding import Binding
from prover.attest.fetch import DirectTransport
from prover.attest.pins import PinnedImage
from prover.attest.quote import parse_tdx_quote
from prover.attest.registration import TeeRegistration
from prover.attest.require import AttestationCache
from prover.attest.route import attestation_router
from prover.client.errors import ClientError, TeeRefusedError
from prover.client.profile import ProviderPin
from prover.client.tee_check import TeeSettings, check_provider_tee, expectation_for, tee_settings
from prover.client.wallet import ServiceParams
from prover.crypto import Point, service_id
from prover.wire.required import VkHashes

V = vector("tdx_quote")
VAULT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
PK = Point(*binding_with_tls_key().server_pk)  # the key the documents claim to bind
QUOTE = parse_tdx_quote(V.raw)
IMAGE = PinnedImage(image="tdx_quote image", **QUOTE.measurements.model_dump())
TLS = DirectTransport(verify=client_tls_context())


def _pin(url: str, tee: TeeRegistration | None = None) -> ProviderPin:
    return ProviderPin(
        agent_id=3,
        identity_registry="0x" + "12" * 20,
        gateway_url=url,
        service=ServiceParams(
            chain_id=31337, vault_address=VAULT, service_id=service_id(31337, VAULT),
            server_pk=PK, c_max=1000, reserve=2000, penalty_max=2000, unit=10**9,
        ),
        asset="native", min_deposit=10_000, note_ttl_days=30, exit_grace_days=7,
        exit_delay=172800, root_epoch=600, root_ttl=3600, max_depth=20,
        price_schedule=DEV_SCHEDULE,
        vk_hashes=VkHashes(request=b"\x01" * 32, withdraw=b"\x02" * 32, slash=b"\x03" * 32),
        tee=tee or TeeRegistration(gateway_key=TLS_KEY, images=(IMAGE,)),
    )  # fmt: skip


def _own(pin: ProviderPin) -> object:
    """The pin's expectation with the real quote's own report_data as the expected binding."""
    return expectation_for(pin).model_copy(update={"report_data": QUOTE.report_data})


def _app(path: Path | None) -> FastAPI:
    app = FastAPI()
    app.include_router(attestation_router(path))
    return app


@pytest.fixture
def document(tmp_path: Path) -> Path:
    path = tmp_path / "attestation.json"
    write_document(path)
    return path


@pytest.fixture
def https_gateway(document: Path) -> Iterator[str]:
    with Server(_app(document), tls=True) as url:
        yield url


def _check(pin: ProviderPin, **options: object) -> object:
    values: dict[str, object] = {"transport": TLS, "now": lambda: V.now} | options
    return check_provider_tee(pin, **values)  # type: ignore[arg-type]


def test_the_expectation_binds_the_pinned_chain_vault_server_key_and_gateway_key() -> None:
    pin = _pin("https://gateway.example")
    expected = expectation_for(pin)
    independent = Binding(
        chain_id=31337, vault=VAULT, server_pk=(PK.x, PK.y), gateway_key=TLS_KEY
    ).report_data()
    assert expected.expected_report_data() == independent
    assert expected.pins.images == (IMAGE,)
    assert expected.policy.accepted_statuses == frozenset({"UpToDate"})


def test_a_provider_whose_registration_declares_no_tee_is_refused_naming_it() -> None:
    pin = _pin("https://127.0.0.1:9").model_copy(update={"tee": None})
    with pytest.raises(TeeRefusedError) as info:
        check_provider_tee(pin)
    assert (info.value.check, info.value.field) == ("registration", "zkcredits.tee")
    assert info.value.code == "tee_refused"


def test_a_real_quote_over_https_passes_with_its_own_report_data_expected(
    https_gateway: str,
) -> None:
    pin = _pin(https_gateway)
    appraisal = _check(pin, expectation=_own(pin))
    assert appraisal.image.image == "tdx_quote image"  # type: ignore[attr-defined]
    assert appraisal.verified.tcb_status == "UpToDate"  # type: ignore[attr-defined]
    assert appraisal.verified.quote.sha256 == QUOTE.sha256  # type: ignore[attr-defined]


def test_the_real_quote_does_not_bind_the_pinned_provider_and_is_refused_naming_the_binding(
    https_gateway: str,
) -> None:
    with pytest.raises(TeeRefusedError) as info:
        _check(_pin(https_gateway))
    assert (info.value.check, info.value.field) == ("binding", "report_data")
    assert "`binding`" in str(info.value) and "\n" not in str(info.value)


def test_an_image_that_is_not_pinned_is_refused_naming_the_register(https_gateway: str) -> None:
    other = IMAGE.model_copy(update={"rtmr1": b"\x07" * 48})
    pin = _pin(https_gateway, TeeRegistration(gateway_key=TLS_KEY, images=(other,)))
    with pytest.raises(TeeRefusedError) as info:
        _check(pin, expectation=_own(pin))
    assert (info.value.check, info.value.field) == ("measurements", "measurements.rtmr1")


def test_a_tcb_status_the_policy_does_not_accept_is_refused(https_gateway: str) -> None:
    pin = _pin(https_gateway)
    strict = expectation_for(pin, TeeSettings(accepted_tcb_statuses={"OutOfDate"}).policy())
    expectation = strict.model_copy(update={"report_data": QUOTE.report_data})
    with pytest.raises(TeeRefusedError) as info:
        _check(pin, expectation=expectation)
    assert info.value.check == "tcb_status"


def test_at_the_real_time_the_2025_collateral_is_refused_as_expired(https_gateway: str) -> None:
    pin = _pin(https_gateway)
    with pytest.raises(TeeRefusedError) as info:
        check_provider_tee(pin, transport=TLS, expectation=_own(pin))  # type: ignore[arg-type]
    assert info.value.check == "collateral_expired"


def test_another_tls_key_than_the_pinned_one_is_refused(https_gateway: str) -> None:
    from prover.attest.gateway_key import GatewayKey

    other = GatewayKey(kind="tls-spki-sha256", sha256=b"\x09" * 32)
    pin = _pin(https_gateway, TeeRegistration(gateway_key=other, images=(IMAGE,)))
    with pytest.raises(TeeRefusedError) as info:
        _check(pin)
    assert (info.value.check, info.value.field) == ("gateway_key", "gateway_key")


def test_plain_http_shows_no_key_to_compare_and_is_refused_unless_allowed(document: Path) -> None:
    with Server(_app(document)) as url:
        pin = _pin(url)
        plain = DirectTransport()
        with pytest.raises(TeeRefusedError) as info:
            _check(pin, transport=plain, expectation=_own(pin))
        assert info.value.check == "gateway_key"
        allowed = TeeSettings(allow_plain_http=True)
        appraisal = _check(pin, transport=plain, expectation=_own(pin), settings=allowed)
        assert appraisal.image.image == "tdx_quote image"  # type: ignore[attr-defined]


def test_a_gateway_without_attestation_is_refused_and_an_unreachable_one_is_retryable() -> None:
    with Server(_app(None), tls=True) as url:
        with pytest.raises(TeeRefusedError) as info:
            _check(_pin(url))
        assert (info.value.check, info.value.retryable) == ("evidence", False)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(TeeRefusedError) as info:
        _check(_pin(f"https://127.0.0.1:{port}"))
    assert (info.value.check, info.value.retryable) == ("evidence", True)


class CountingTransport:
    """The real transport, counting the documents fetched."""

    def __init__(self) -> None:
        self.fetches = 0

    def stream(self, method: str, url: str) -> AbstractContextManager[httpx.Response]:
        self.fetches += 1
        return TLS.stream(method, url)


def test_an_unchanged_document_is_not_appraised_again_and_a_changed_quote_is(
    https_gateway: str, document: Path
) -> None:
    pin = _pin(https_gateway)
    cache, transport = AttestationCache(), CountingTransport()
    first = _check(pin, expectation=_own(pin), cache=cache, transport=transport)
    again = _check(pin, expectation=_own(pin), cache=cache, transport=transport)
    assert again is first and transport.fetches == 2  # fetched each time, appraised once
    other_vault = binding_with_tls_key(vault="0x" + "77" * 20)
    write_document(document, binding=other_vault)  # same quote, another document: judged anew
    with pytest.raises(TeeRefusedError) as info:
        _check(pin, expectation=_own(pin), cache=cache, transport=transport)
    assert (info.value.check, info.value.field) == ("binding", "binding.vault")
    write_document(document, "tdx_quote_td15ex")  # another quote (its collateral: 2026)
    with pytest.raises(TeeRefusedError) as info:
        _check(pin, expectation=_own(pin), cache=cache, transport=transport)
    assert info.value.check == "collateral_not_yet_valid"
    write_document(document)  # the first document again: usable again, from the cache
    assert _check(pin, expectation=_own(pin), cache=cache, transport=transport) is first


def test_the_tee_policy_comes_from_the_environment_and_a_bad_value_names_its_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ZKCREDITS_TEE_REQUIRE", "1")
    monkeypatch.setenv("ZKCREDITS_TEE_ACCEPTED_TCB_STATUSES", '["UpToDate", "SWHardeningNeeded"]')
    settings = tee_settings()
    assert settings.require
    assert settings.policy().accepted_statuses == {"UpToDate", "SWHardeningNeeded"}
    monkeypatch.setenv("ZKCREDITS_TEE_ACCEPTED_TCB_STATUSES", '["Revoked"]')
    with pytest.raises(ClientError) as info:
        tee_settings()
    assert "ZKCREDITS_TEE_ACCEPTED_TCB_STATUSES" in str(info.value)
