"""Constructor rules of PROTOCOL §3: every parameter checked on chain, read back by params()."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from web3 import Web3

from prover.chain.errors import VaultParamsError
from prover.chain.vault import CreditVaultClient
from prover.chain.vault_params import VaultParams
from prover.crypto.babyjub import BASE8, L, Point, add, mul
from prover.crypto.rln import service_id

from .vault_setup import DAY, reverts_with

# (0, p - 1) has order 2: on the curve, outside the prime-order subgroup.
ORDER_TWO = Point(0, 21888242871839275222246405745257275088548364400416034343698204186575808495616)


@pytest.fixture
def deploy_raw(
    deploy_vault: Callable[..., CreditVaultClient], make_params: Callable[..., VaultParams]
) -> Callable[..., Any]:
    """Deploy with overrides that skip the Python-side checks, so the contract's own run."""

    def run(**overrides: Any) -> Any:
        return deploy_vault(make_params().model_copy(update=overrides))

    return run


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"unit": 0}, "UnitIsZero"),
        ({"c_max": 0}, "CMaxIsZero"),
        ({"reserve": 4_999}, "ReserveBelowPenaltyMax"),
        ({"min_deposit": 5_999}, "MinDepositBelowCMaxPlusReserve"),
        ({"note_ttl_days": 0}, "NoteTtlIsZero"),
        ({"exit_grace_days": 1}, "ExitGraceTooShort"),
        ({"exit_delay": 2 * DAY - 1}, "ExitDelayTooShort"),
        ({"root_epoch": 0}, "RootEpochIsZero"),
        ({"root_ttl": 599}, "RootTtlBelowEpoch"),
        ({"server_pk_x": 1, "server_pk_y": 2}, "ServerKeyNotOnCurve"),
        ({"server_pk_x": BASE8.x, "server_pk_y": BASE8.y + 2**254}, "ServerKeyNotOnCurve"),
        ({"server_pk_x": 0, "server_pk_y": 1}, "ServerKeyNotInSubgroup"),
        ({"server_pk_x": ORDER_TWO.x, "server_pk_y": ORDER_TWO.y}, "ServerKeyNotInSubgroup"),
        ({"treasury": "0x" + "00" * 20}, "TreasuryIsZero"),
        ({"withdraw_verifier": "0x" + "00" * 19 + "99"}, "VerifierHasNoCode"),
        ({"slash_verifier": "0x" + "00" * 19 + "98"}, "VerifierHasNoCode"),
        ({"withdraw_vk_hash": "0x" + "00" * 32}, "VkHashIsZero"),
        ({"withdraw_vk_hash": "0x" + "33" * 32}, "VkHashMismatch"),
        ({"slash_vk_hash": "0x" + "22" * 32}, "VkHashMismatch"),
        ({"slash_vk_hash": "0x" + "00" * 32}, "VkHashIsZero"),
        ({"max_depth": 0}, "MaxDepthOutOfRange"),
        ({"max_depth": 33}, "MaxDepthOutOfRange"),
    ],
)
def test_a_parameter_breaking_a_protocol_rule_is_refused_by_the_constructor(
    deploy_raw: Callable[..., Any], overrides: dict[str, Any], error: str
) -> None:
    with reverts_with(error):
        deploy_raw(**overrides)


def test_a_verifier_without_a_vk_hash_getter_is_refused_by_the_constructor(
    deploy_raw: Callable[..., Any], deploy_helper: Callable[..., Any]
) -> None:
    no_getter = str(deploy_helper("RevertingRecipient").address)  # code, but no VK_HASH()
    for field in ("withdraw_verifier", "slash_verifier"):
        with reverts_with("VerifierLacksVkHash") as err:
            deploy_raw(**{field: no_getter})
        assert str(err.args[0]).lower() == no_getter.lower()


def test_a_server_key_of_full_curve_order_is_refused_while_its_subgroup_part_is_accepted(
    deploy_raw: Callable[..., Any], server_pk: tuple[int, int]
) -> None:
    pk = Point(*server_pk)
    mixed = add(pk, ORDER_TWO)  # on the curve, order 2·L
    assert not mul(mixed, L).is_identity
    with reverts_with("ServerKeyNotInSubgroup") as err:
        deploy_raw(server_pk_x=mixed.x, server_pk_y=mixed.y)
    assert err.args == (mixed.x, mixed.y)
    vault = deploy_raw(server_pk_x=BASE8.x, server_pk_y=BASE8.y)
    assert vault.params().server_pk_x == BASE8.x


def test_the_python_params_model_applies_the_same_rules_before_deploying(
    make_params: Callable[..., VaultParams],
) -> None:
    for overrides in (
        {"reserve": 4_999},
        {"min_deposit": 5_999},
        {"root_ttl": 599},
        {"server_pk_x": 1, "server_pk_y": 2},
        {"server_pk_x": 0, "server_pk_y": 1},
    ):
        with pytest.raises((VaultParamsError, ValueError)):
            make_params(**overrides)


def test_params_reads_back_exactly_what_was_deployed_and_the_service_id_matches_python(
    w3: Web3,
    deploy_vault: Callable[..., CreditVaultClient],
    make_params: Callable[..., VaultParams],
) -> None:
    params = make_params(c_max=7, note_ttl_days=9, exit_grace_days=3, max_depth=16)
    vault = deploy_vault(params)
    assert vault.params() == params
    assert vault.service_id() == service_id(w3.eth.chain_id, vault.address)
    assert vault.asset() == "0x" + "00" * 20
    assert (vault.root(), vault.tree_size(), vault.burned()) == (0, 0, 0)


def test_a_token_vault_needs_a_token_contract(
    deploy_vault: Callable[..., CreditVaultClient], alice: str
) -> None:
    with reverts_with("TokenHasNoCode") as err:
        deploy_vault(token=alice)
    assert err.args == (alice,)
