"""The start-up check against the vault on a real chain: the deployed terms pass; any difference
in the chain id, server_pk, c_max, reserve, penalty_max, the price schedule hash, the vk hashes
(or the local keys' vk hashes) or the root parameters is refused, every field named in one line."""

from __future__ import annotations

from typing import Any

import pytest
from web3 import Web3

from prover.crypto.eddsa import public_key
from prover.gateway.app.settings import GatewaySettings
from prover.gateway.chain.errors import VaultMismatchError, VaultUnreachableError
from prover.gateway.chain.vault_check import LocalKeys, check_against_vault
from prover.pricing.schedule import PriceSchedule
from prover.wire.required import VkHashes

DevNet = Any


def _settings(deployment: Any, **changes: object) -> GatewaySettings:
    p = deployment.params
    values: dict[str, object] = {
        "chain_id": deployment.chain_id, "vault": deployment.vault, "asset": deployment.asset,
        "unit": int(p.unit), "c_max": p.c_max, "reserve": p.reserve,
        "penalty_max": p.penalty_max, "price_schedule": deployment.price_schedule,
        "vk_hashes": deployment.vk_hashes, "root_epoch": int(p.root_epoch),
        "root_ttl": int(p.root_ttl),
    }  # fmt: skip
    values.update(changes)
    return GatewaySettings.model_validate(values)


def _schedule(deployment: Any, **changes: object) -> PriceSchedule:
    data = deployment.price_schedule.model_dump(mode="json")
    data.update(changes)
    return PriceSchedule.model_validate(data)


def test_the_deployed_terms_pass_and_return_the_vault_parameters(
    w3: Web3, deployment: Any, server_secret: int
) -> None:
    keys = LocalKeys(
        request="0x" + deployment.vk_hashes.request.hex(),
        slash="0x" + deployment.vk_hashes.slash.hex(),
    )
    params = check_against_vault(w3, _settings(deployment), public_key(server_secret), keys)
    assert params.c_max == deployment.params.c_max


@pytest.mark.parametrize(
    ("name", "changes", "fields"),
    [
        ("reserve", {"reserve": 6000}, ["reserve"]),
        ("penalty_max", {"penalty_max": 4000}, ["penalty_max"]),
        ("unit", {"unit": 10**6}, ["unit"]),
        ("root_epoch", {"root_epoch": 300}, ["root_epoch"]),
        ("vk hashes", {"vk_hashes": "swap"}, ["vk_hashes.withdraw", "vk_hashes.slash"]),
        ("schedule", {"price_schedule": "quantum"}, ["price_schedule_hash"]),
        ("c_max", {"c_max": 900, "price_schedule": "c_max"}, ["c_max", "price_schedule_hash"]),
    ],
)
def test_each_difference_from_the_vault_is_refused_naming_every_field(
    w3: Web3,
    deployment: Any,
    server_secret: int,
    name: str,
    changes: dict[str, object],
    fields: list[str],
) -> None:
    values = dict(changes)
    if values.get("vk_hashes") == "swap":
        h = deployment.vk_hashes
        values["vk_hashes"] = VkHashes(request=h.request, withdraw=h.slash, slash=h.withdraw)
    if values.get("price_schedule") == "quantum":
        values["price_schedule"] = _schedule(deployment, quantum=5)
    if values.get("price_schedule") == "c_max":
        values["price_schedule"] = _schedule(deployment, c_max=900)
    with pytest.raises(VaultMismatchError) as info:
        check_against_vault(w3, _settings(deployment, **values), public_key(server_secret))
    message = str(info.value)
    assert "\n" not in message and info.value.field == fields[0]
    for field in fields:
        assert f"{field} (vault " in message, message
    others = {"reserve", "penalty_max", "unit", "root_epoch", "server_pk"} - set(fields)
    assert not any(f"; {o} (" in message or f": {o} (" in message for o in others), message


def test_a_state_key_the_vault_does_not_pin_is_refused(w3: Web3, deployment: Any) -> None:
    with pytest.raises(VaultMismatchError) as info:
        check_against_vault(w3, _settings(deployment), public_key(12345))
    assert info.value.field == "server_pk"


def test_local_keys_other_than_the_pinned_ones_are_refused(
    w3: Web3, deployment: Any, server_secret: int
) -> None:
    pk = public_key(server_secret)
    with pytest.raises(VaultMismatchError) as info:
        check_against_vault(w3, _settings(deployment), pk, LocalKeys(slash="0x" + "ee" * 32))
    assert info.value.field == "slash keys"
    with pytest.raises(VaultMismatchError) as info:
        check_against_vault(w3, _settings(deployment), pk, LocalKeys(request="0x" + "ee" * 32))
    assert info.value.field == "request keys"


def test_another_chain_or_an_address_without_a_vault_is_refused(
    w3: Web3, deployment: Any, server_secret: int
) -> None:
    pk = public_key(server_secret)
    with pytest.raises(VaultMismatchError) as info:
        check_against_vault(w3, _settings(deployment, chain_id=5), pk)
    assert info.value.field == "chain_id" and "31337" in str(info.value)
    with pytest.raises(VaultUnreachableError) as gone:
        check_against_vault(w3, _settings(deployment, vault="0x" + "12" * 20), pk)
    assert gone.value.field == "vault"
    registry = deployment.registries.identity  # code, but not a vault
    with pytest.raises(VaultUnreachableError) as wrong:
        check_against_vault(w3, _settings(deployment, vault=registry), pk)
    assert wrong.value.field == "vault"
    dead = Web3(Web3.HTTPProvider("http://127.0.0.1:9", request_kwargs={"timeout": 2}))
    with pytest.raises(VaultUnreachableError) as down:
        check_against_vault(dead, _settings(deployment), pk)
    assert down.value.field == "rpc_url"
