"""The provider's registration file: data: URI round trip, and every mismatch with the vault."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from prover.attest.gateway_key import GatewayKey
from prover.attest.pins import PinnedImage
from prover.attest.registration import TeeRegistration, tee_section, tee_view
from prover.chain.deploy.errors import RegistrationError, RegistrationMismatchError
from prover.chain.registration import (
    DATA_URI_PREFIX,
    REGISTRATION_TYPE,
    RegistrationFile,
    VaultView,
    build_registration,
    check_registration_against_vault,
    parse_data_uri,
    service_id_for,
    to_data_uri,
)
from prover.chain.vault_params import VaultParams
from prover.crypto.babyjub import BASE8
from prover.crypto.field import P
from prover.crypto.rln import keccak256
from prover.pricing.schedule import PriceSchedule
from prover.wire.required import VkHashes

from .vault_setup import vault_params

CHAIN_ID = 31337
VAULT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
IDENTITY = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
SERVER_PK = BASE8 * 123456789


def _schedule(c_max: int = 1000) -> PriceSchedule:
    return PriceSchedule.model_validate(
        {
            "quantum": 10,
            "c_max": c_max,
            "routes": [
                {
                    "method": "POST",
                    "path": "/v1/chat/completions",
                    "kind": "chat",
                    "models": {
                        "m": {
                            "per_1k_input_tokens": 3,
                            "per_1k_output_tokens": 15,
                            "max_output_tokens": 4096,
                        }
                    },
                }
            ],
        }
    )


def _view(schedule: PriceSchedule | None = None) -> VaultView:
    schedule = schedule or _schedule()
    params = vault_params(
        exit_grace_days=7,
        server_pk_x=SERVER_PK.x,
        server_pk_y=SERVER_PK.y,
        price_schedule_hash="0x" + schedule.schedule_hash().hex(),
        treasury="0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        withdraw_verifier="0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
        slash_verifier="0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
        withdraw_vk_hash="0x" + "11" * 32,
        slash_vk_hash="0x" + "22" * 32,
    )
    return VaultView(
        chain_id=CHAIN_ID,
        vault=VAULT,
        asset="native",
        service_id=service_id_for(CHAIN_ID, VAULT),
        params=params,
    )


def _registration(
    view: VaultView | None = None, tee: TeeRegistration | None = None
) -> RegistrationFile:
    return build_registration(
        name="Example LLM API",
        description="Pay per call with zk credits",
        gateway_url="https://gateway.example/",
        view=view or _view(),
        price_schedule=_schedule(),
        vk_hashes=VkHashes(request=b"\x33" * 32, withdraw=b"\x11" * 32, slash=b"\x22" * 32),
        setup="dev-single-party",
        agent_id=4,
        identity_registry=IDENTITY,
        tee=tee,
    )


def _json(reg: RegistrationFile) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(reg.to_json())
    return data


def _with(reg: RegistrationFile, change: Callable[[dict[str, Any]], None]) -> RegistrationFile:
    data = _json(reg)
    change(data)
    return RegistrationFile.model_validate(data)


def test_the_file_has_the_erc8004_shape_and_the_zkcredits_terms() -> None:
    data = _json(_registration())
    assert data["type"] == REGISTRATION_TYPE
    assert data["x402Support"] is True
    assert data["supportedTrust"] == ["crypto-economic"]
    assert data["services"] == [
        {"name": "zkcredits-gateway", "endpoint": "https://gateway.example/", "version": "x402-v2"}
    ]
    assert data["registrations"] == [{"agentId": 4, "agentRegistry": f"eip155:31337:{IDENTITY}"}]
    terms = data["zkcredits"]
    assert terms["vault"] == VAULT and terms["chain_id"] == CHAIN_ID
    assert terms["service_id"] == str(service_id_for(CHAIN_ID, VAULT))
    assert terms["params"]["server_pk"] == [str(SERVER_PK.x), str(SERVER_PK.y)]
    assert terms["price_schedule_hash"] == "0x" + keccak256(_schedule().canonical_json()).hex()
    assert set(terms["vk_hashes"]) == {"request", "withdraw", "slash"}


def test_service_id_matches_an_independent_abi_encoding() -> None:
    encoded = CHAIN_ID.to_bytes(32, "big") + bytes(12) + bytes.fromhex(VAULT[2:])
    assert service_id_for(CHAIN_ID, VAULT) == int.from_bytes(keccak256(encoded), "big") % P


def test_a_registration_round_trips_through_a_base64_data_uri() -> None:
    reg = _registration()
    uri = to_data_uri(reg)
    assert uri.startswith("data:application/json;base64,")
    assert json.loads(base64.b64decode(uri[len(DATA_URI_PREFIX) :])) == _json(reg)
    assert parse_data_uri(uri) == reg
    check_registration_against_vault(
        parse_data_uri(uri), _view(), agent_id=4, identity_registry=IDENTITY
    )


@pytest.mark.parametrize(
    ("uri", "field"),
    [
        ("https://example.com/agent.json", "uri"),
        ("data:application/json;base64,@@@", "uri"),
        (DATA_URI_PREFIX + base64.b64encode(b"not json").decode(), "uri"),
        (DATA_URI_PREFIX + base64.b64encode(b'{"type": "x"}').decode(), "type"),
        (DATA_URI_PREFIX + "A" * 70_000, "uri"),
    ],
)
def test_malformed_uris_are_rejected_naming_the_problem(uri: str, field: str) -> None:
    with pytest.raises(RegistrationError) as info:
        parse_data_uri(uri)
    assert info.value.field == field


def test_an_unknown_top_level_key_is_rejected() -> None:
    data = _json(_registration())
    data["surprise"] = 1
    uri = DATA_URI_PREFIX + base64.b64encode(json.dumps(data).encode()).decode()
    with pytest.raises(RegistrationError) as info:
        parse_data_uri(uri)
    assert info.value.field == "surprise"


def _set(path: list[str], value: object) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


MISMATCHES: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    ("supportedTrust", _set(["supportedTrust"], ["reputation"])),
    ("x402Support", _set(["x402Support"], False)),
    ("zkcredits.chain_id", _set(["zkcredits", "chain_id"], 1)),
    ("zkcredits.vault", _set(["zkcredits", "vault"], "0x" + "ab" * 20)),
    ("zkcredits.asset", _set(["zkcredits", "asset"], "0x" + "cd" * 20)),
    ("zkcredits.service_id", _set(["zkcredits", "service_id"], "7")),
    ("zkcredits.params.unit", _set(["zkcredits", "params", "unit"], "1")),
    ("zkcredits.params.c_max", _set(["zkcredits", "params", "c_max"], "999")),
    ("zkcredits.params.penalty_max", _set(["zkcredits", "params", "penalty_max"], "1")),
    ("zkcredits.params.reserve", _set(["zkcredits", "params", "reserve"], "4999")),
    ("zkcredits.params.min_deposit", _set(["zkcredits", "params", "min_deposit"], "9")),
    ("zkcredits.params.note_ttl_days", _set(["zkcredits", "params", "note_ttl_days"], 31)),
    ("zkcredits.params.exit_grace_days", _set(["zkcredits", "params", "exit_grace_days"], 2)),
    ("zkcredits.params.exit_delay", _set(["zkcredits", "params", "exit_delay"], "172801")),
    ("zkcredits.params.root_epoch", _set(["zkcredits", "params", "root_epoch"], "60")),
    ("zkcredits.params.root_ttl", _set(["zkcredits", "params", "root_ttl"], "3601")),
    (
        "zkcredits.params.server_pk",
        _set(["zkcredits", "params", "server_pk"], [str((BASE8 * 5).x), str((BASE8 * 5).y)]),
    ),
    (
        "zkcredits.params.price_schedule_hash",
        _set(["zkcredits", "params", "price_schedule_hash"], "0x" + "00" * 32),
    ),
    ("zkcredits.params.treasury", _set(["zkcredits", "params", "treasury"], "0x" + "01" * 20)),
    (
        "zkcredits.params.withdraw_verifier",
        _set(["zkcredits", "params", "withdraw_verifier"], "0x" + "02" * 20),
    ),
    (
        "zkcredits.params.slash_verifier",
        _set(["zkcredits", "params", "slash_verifier"], "0x" + "03" * 20),
    ),
    (
        "zkcredits.params.withdraw_vk_hash",
        _set(["zkcredits", "params", "withdraw_vk_hash"], "0x" + "44" * 32),
    ),
    (
        "zkcredits.params.slash_vk_hash",
        _set(["zkcredits", "params", "slash_vk_hash"], "0x" + "55" * 32),
    ),
    ("zkcredits.price_schedule_hash", _set(["zkcredits", "price_schedule_hash"], "0x" + "66" * 32)),
    ("zkcredits.price_schedule", _set(["zkcredits", "price_schedule", "quantum"], 20)),
    (
        "zkcredits.vk_hashes.withdraw",
        _set(["zkcredits", "vk_hashes", "withdraw"], "0x" + "77" * 32),
    ),
    ("zkcredits.vk_hashes.slash", _set(["zkcredits", "vk_hashes", "slash"], "0x" + "88" * 32)),
    ("registrations", _set(["registrations"], [])),
    (
        "registrations",
        _set(["registrations"], [{"agentId": 5, "agentRegistry": f"eip155:31337:{IDENTITY}"}]),
    ),
]


@pytest.mark.parametrize(("field", "change"), MISMATCHES, ids=[m[0] for m in MISMATCHES])
def test_each_value_that_disagrees_with_the_vault_is_named(
    field: str, change: Callable[[dict[str, Any]], None]
) -> None:
    tampered = _with(_registration(), change)
    with pytest.raises(RegistrationMismatchError) as info:
        check_registration_against_vault(tampered, _view(), agent_id=4, identity_registry=IDENTITY)
    assert info.value.field == field


def test_every_vault_parameter_is_covered_by_a_mismatch_case() -> None:
    covered = {f.removeprefix("zkcredits.params.") for f, _ in MISMATCHES}
    covered |= {f.removeprefix("zkcredits.params.") for f, _ in OUT_OF_BOUNDS}
    assert set(VaultParams.model_fields) - {"server_pk_x", "server_pk_y"} <= covered
    assert "server_pk" in covered


# Values no vault can hold (the constructor's bounds): refused when the file is read, by name.
OUT_OF_BOUNDS: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    ("zkcredits.params.max_depth", _set(["zkcredits", "params", "max_depth"], 21)),
    ("zkcredits.params.note_ttl_days", _set(["zkcredits", "params", "note_ttl_days"], 2**32 - 1)),
    ("zkcredits.params.exit_delay", _set(["zkcredits", "params", "exit_delay"], str(2**64 - 1))),
    ("zkcredits.params.exit_grace_days", _set(["zkcredits", "params", "exit_grace_days"], 366)),
    ("zkcredits.params.root_ttl", _set(["zkcredits", "params", "root_ttl"], "899")),
]


@pytest.mark.parametrize(("field", "change"), OUT_OF_BOUNDS, ids=[m[0] for m in OUT_OF_BOUNDS])
def test_a_file_with_a_parameter_no_vault_can_hold_is_refused_by_name(
    field: str, change: Callable[[dict[str, Any]], None]
) -> None:
    data = _json(_registration())
    change(data)
    uri = DATA_URI_PREFIX + base64.b64encode(json.dumps(data).encode()).decode()
    with pytest.raises(RegistrationError) as info:
        parse_data_uri(uri)
    assert info.value.field == field


def test_a_schedule_with_another_c_max_is_caught_even_if_its_hash_is_pinned() -> None:
    schedule = _schedule(c_max=500)
    view = _view(schedule)
    reg = build_registration(
        name="n",
        description="d",
        gateway_url="https://g/",
        view=view,
        price_schedule=schedule,
        vk_hashes=VkHashes(request=b"\x33" * 32, withdraw=b"\x11" * 32, slash=b"\x22" * 32),
        setup="dev-single-party",
    )
    with pytest.raises(RegistrationMismatchError) as info:
        check_registration_against_vault(reg, view)
    assert info.value.field == "zkcredits.price_schedule.c_max"


def test_a_file_without_the_gateway_service_is_rejected() -> None:
    reg = _with(_registration(), _set(["services"], [{"name": "web", "endpoint": "https://x"}]))
    with pytest.raises(RegistrationError) as info:
        check_registration_against_vault(reg, _view())
    assert info.value.field == "services"


TEE_KEY = GatewayKey(kind="tls-spki-sha256", sha256=b"\x5a" * 32)
TEE_IMAGE = PinnedImage(
    image="registry.example/gateway@sha256:" + "00" * 32,
    mrtd=b"\x01" * 48,
    rtmr0=b"\x02" * 48,
    rtmr1=b"\x03" * 48,
    rtmr2=b"\x04" * 48,
    rtmr3=bytes(48),
)
TEE = TeeRegistration(gateway_key=TEE_KEY, images=(TEE_IMAGE,))


def test_a_registration_without_tee_pins_stays_valid_and_says_nothing_about_a_tee() -> None:
    reg = _registration()
    assert reg.zkcredits.tee is None
    assert "tee" not in _json(reg)["zkcredits"]
    assert parse_data_uri(to_data_uri(reg)).zkcredits.tee is None


def test_tee_pins_round_trip_through_the_data_uri_and_give_the_binding_a_verifier_expects() -> None:
    reg = _registration(tee=TEE)
    terms = _json(reg)["zkcredits"]
    assert terms["tee"] == tee_section(TEE_KEY, (TEE_IMAGE,))
    assert terms["tee"]["images"][0]["mrtd"] == "01" * 48  # plain hex, as TDX tools print
    back = parse_data_uri(to_data_uri(reg))
    assert back.zkcredits.tee == TEE
    check_registration_against_vault(back, _view(), agent_id=4, identity_registry=IDENTITY)
    view = tee_view(_json(back))  # what the validator reads from the same file
    assert view.tee == TEE
    assert view.binding.server_pk == (SERVER_PK.x, SERVER_PK.y)
    assert (view.binding.chain_id, view.binding.vault) == (CHAIN_ID, VAULT)
    assert view.binding.gateway_key == TEE_KEY


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda t: t["images"][0].update(mrtd="01" * 47), "zkcredits.tee.images.0.mrtd"),
        (lambda t: t["images"][0].update(rtmr2="zz" * 48), "zkcredits.tee.images.0.rtmr2"),
        (lambda t: t["images"][0].pop("rtmr3"), "zkcredits.tee.images.0.rtmr3"),
        (lambda t: t["images"][0].update(image=""), "zkcredits.tee.images.0.image"),
        (lambda t: t.update(images=[]), "zkcredits.tee.images"),
        (lambda t: t["gateway_key"].update(kind="ssh"), "zkcredits.tee.gateway_key.kind"),
        (lambda t: t["gateway_key"].update(sha256="0x12"), "zkcredits.tee.gateway_key.sha256"),
        (lambda t: t.update(policy={"accept": "anything"}), "zkcredits.tee.policy"),
    ],
)
def test_malformed_tee_pins_are_refused_naming_the_value(
    change: Callable[[dict[str, Any]], None], field: str
) -> None:
    data = _json(_registration(tee=TEE))
    change(data["zkcredits"]["tee"])
    uri = DATA_URI_PREFIX + base64.b64encode(json.dumps(data).encode()).decode()
    with pytest.raises(RegistrationError) as info:
        parse_data_uri(uri)
    assert info.value.field == field
