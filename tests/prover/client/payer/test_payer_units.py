"""Pieces of the payer that need no gateway: terms check, over-cap refusal, SSE splitting."""

from __future__ import annotations

import json

import pytest
from zkcredits_testing.devprovider import DEV_SCHEDULE

from prover.client.errors import PreflightRefusedError, RequestRefusedError, TermsMismatchError
from prover.client.payer.models import prepare_request
from prover.client.profile import ProviderPin
from prover.client.terms import matching_offer
from prover.client.wallet import ServiceParams
from prover.crypto import BASE8, generate_secret_key, public_key, service_id
from prover.gateway.app import GatewaySettings
from prover.gateway.embedded import CHAT_MODEL
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


CHAT_PRICE = DEV_SCHEDULE.routes[0].models[CHAT_MODEL]


def _chat(**extra: object) -> bytes:
    body = {"model": CHAT_MODEL, "messages": [{"role": "user", "content": "hi"}], **extra}
    return json.dumps(body).encode()


@pytest.mark.parametrize("name", ["max_tokens", "max_completion_tokens"])
def test_a_chat_request_over_the_output_cap_is_refused_naming_the_field(name: str) -> None:
    route = DEV_SCHEDULE.route_for("POST", "/v1/chat/completions")
    assert route is not None
    body = _chat(**{name: CHAT_PRICE.max_output_tokens})
    assert prepare_request(DEV_SCHEDULE, route, body).body == body  # within the rules: unchanged
    with pytest.raises(PreflightRefusedError) as info:
        prepare_request(DEV_SCHEDULE, route, _chat(**{name: CHAT_PRICE.max_output_tokens + 1}))
    assert (info.value.field, info.value.code) == (name, "cost_exceeds_c_max")
    assert isinstance(info.value, RequestRefusedError)


@pytest.mark.parametrize(
    "body", [b"not json", b"[1]", _chat(max_tokens=-1), _chat(max_tokens=1.5), _chat(model="x")]
)
def test_a_malformed_chat_request_is_refused_before_proving(body: bytes) -> None:
    route = DEV_SCHEDULE.route_for("POST", "/v1/chat/completions")
    assert route is not None
    with pytest.raises(RequestRefusedError):
        prepare_request(DEV_SCHEDULE, route, body)


def test_a_chat_without_cap_is_given_one_and_the_change_is_noted() -> None:
    route = DEV_SCHEDULE.route_for("POST", "/v1/chat/completions")
    assert route is not None
    prepared = prepare_request(DEV_SCHEDULE, route, _chat(stream=True))
    sent = json.loads(prepared.body)
    assert sent["max_tokens"] == CHAT_PRICE.max_output_tokens
    assert sent["stream_options"] == {"include_usage": True}
    assert prepared.note == (
        f"max_tokens={CHAT_PRICE.max_output_tokens}; stream_options.include_usage=true"
    )
