"""Pieces of the payer that need no gateway: terms check, over-cap refusal, SSE splitting."""

from __future__ import annotations

import pytest

from prover.client.client_errors import RequestRefusedError, TermsMismatchError
from prover.client.devprovider import DEV_SCHEDULE
from prover.client.payer import check_cap
from prover.client.profile import ProviderPin
from prover.client.sse import SseSplitter, is_done_event
from prover.client.terms import matching_offer
from prover.client.wallet import ServiceParams
from prover.crypto import BASE8, generate_secret_key, public_key, service_id
from prover.gateway.app import GatewaySettings
from prover.wire import PaymentRequired
from prover.wire.required import VkHashes

VAULT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
SK = generate_secret_key()
VK = VkHashes(request=b"\x01" * 32, withdraw=b"\x02" * 32, slash=b"\x03" * 32)


def _pin() -> ProviderPin:
    return ProviderPin(
        agent_id=0,
        identity_registry="0x" + "12" * 20,
        gateway_url="http://127.0.0.1:9/",
        service=ServiceParams(
            chain_id=31337, vault_address=VAULT, service_id=service_id(31337, VAULT),
            server_pk=public_key(SK), c_max=1000, reserve=2000, penalty_max=2000, unit=10**9,
        ),
        asset="native", min_deposit=10_000, note_ttl_days=30, exit_grace_days=7,
        exit_delay=172800, root_epoch=600, root_ttl=3600, max_depth=20,
        price_schedule=DEV_SCHEDULE, vk_hashes=VK,
    )  # fmt: skip


def _terms(**overrides: object) -> PaymentRequired:
    """The gateway's own builder of PAYMENT-REQUIRED (not ours), for an honest or tampered vault."""
    values: dict[str, object] = {
        "chain_id": 31337, "vault": VAULT, "unit": 10**9, "c_max": 1000, "reserve": 2000,
        "penalty_max": 2000, "price_schedule": DEV_SCHEDULE, "vk_hashes": VK,
        "root_epoch": 600, "root_ttl": 3600,
    }  # fmt: skip
    server_pk = overrides.pop("server_pk", public_key(SK))
    values.update(overrides)
    return GatewaySettings.model_validate(values).terms(server_pk)  # type: ignore[arg-type]


def test_the_gateways_honest_terms_match_the_pin() -> None:
    offer = matching_offer(_terms(), _pin())
    assert offer.pay_to == VAULT


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"reserve": 2500}, "extra.reserve"),
        ({"penalty_max": 1500}, "extra.penalty_max"),
        ({"unit": 10**6}, "amount"),
        ({"server_pk": BASE8}, "extra.server_pk"),
        ({"vk_hashes": VK.model_copy(update={"request": b"\x09" * 32})}, "extra.vk_hashes.request"),
        ({"vk_hashes": VK.model_copy(update={"slash": b"\x09" * 32})}, "extra.vk_hashes.slash"),
        ({"root_ttl": 7200}, "extra.root_ttl"),
        ({"root_epoch": 60}, "extra.root_epoch"),
        ({"vault": "0x" + "ab" * 20}, "payTo"),
        ({"chain_id": 1}, "accepts"),
        ({"asset": "0x" + "cd" * 20}, "asset"),
        (
            {"price_schedule": DEV_SCHEDULE.model_copy(update={"quantum": 5})},
            "extra.price_schedule_hash",
        ),
    ],
)
def test_a_term_that_differs_from_the_pin_is_refused_by_name(
    overrides: dict[str, object], field: str
) -> None:
    with pytest.raises(TermsMismatchError) as info:
        matching_offer(_terms(**overrides), _pin())
    assert info.value.field == field


def test_a_schedule_whose_hash_is_right_but_content_differs_is_refused() -> None:
    good = _terms()
    offer = good.accepts[0]
    forged_schedule = DEV_SCHEDULE.model_copy(update={"quantum": 20})
    extra = offer.extra.model_copy(update={"price_schedule": forged_schedule})
    forged = good.model_copy(update={"accepts": (offer.model_copy(update={"extra": extra}),)})
    with pytest.raises(TermsMismatchError) as info:
        matching_offer(forged, _pin())
    assert info.value.field == "extra.price_schedule"


@pytest.mark.parametrize("name", ["max_tokens", "max_completion_tokens"])
def test_a_chat_request_over_the_output_cap_is_refused(name: str) -> None:
    route = DEV_SCHEDULE.route_for("POST", "/v1/chat/completions")
    assert route is not None
    check_cap(route, f'{{"{name}": {route.max_output_tokens}}}'.encode())
    with pytest.raises(RequestRefusedError) as info:
        check_cap(route, f'{{"{name}": {route.max_output_tokens + 1}}}'.encode())
    assert info.value.field == name


@pytest.mark.parametrize(
    "body", [b"not json", b"[1]", b'{"max_tokens": -1}', b'{"max_tokens": 1.5}']
)
def test_a_malformed_chat_request_is_refused_before_proving(body: bytes) -> None:
    route = DEV_SCHEDULE.route_for("POST", "/v1/chat/completions")
    assert route is not None
    with pytest.raises(RequestRefusedError):
        check_cap(route, body)


def test_embeddings_requests_are_not_subject_to_the_chat_cap() -> None:
    route = DEV_SCHEDULE.route_for("POST", "/v1/embeddings")
    assert route is not None
    check_cap(route, b"not even json")


def test_the_splitter_relays_events_split_anywhere_and_keeps_the_payment() -> None:
    stream = (
        b'data: {"a":1}\n\n'
        b'data: {"b":2}\r\n\r\n'
        b"data: [DONE]\n\n"
        b"event: payment-response\ndata: QUJD\n\n"
    )
    for cut in range(1, len(stream)):
        splitter = SseSplitter()
        out = splitter.feed(stream[:cut]) + splitter.feed(stream[cut:]) + splitter.finish()
        assert out == [b'data: {"a":1}\n\n', b'data: {"b":2}\r\n\r\n', b"data: [DONE]\n\n"]
        assert splitter.payment == "QUJD"
        assert splitter.error is None


def test_the_splitter_keeps_an_error_event_aside() -> None:
    splitter = SseSplitter()
    out = splitter.feed(b'data: x\n\nevent: error\ndata: {"error":{"code":"in_progress"}}\n\n')
    assert out == [b"data: x\n\n"]
    assert splitter.payment is None
    assert splitter.error == '{"error":{"code":"in_progress"}}'


def test_an_unterminated_last_event_is_still_relayed() -> None:
    splitter = SseSplitter()
    assert splitter.feed(b"data: tail") == []
    assert splitter.finish() == [b"data: tail"]


def test_only_the_openai_terminator_counts_as_done() -> None:
    assert is_done_event(b"data: [DONE]\n\n")
    assert is_done_event(b"data:[DONE]\r\n\r\n")
    assert not is_done_event(b'data: {"x": "[DONE]"}\n\n')
    assert not is_done_event(b"event: payment-response\ndata: [DONE]\n\n")
