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
        ({"note_ttl_days": 3651}, "NoteTtlTooLong"),
        ({"note_ttl_days": 2**32 - 1}, "NoteTtlTooLong"),  # the audit's truncating lifetime
        ({"exit_grace_days": 1}, "ExitGraceTooShort"),
        ({"exit_grace_days": 366}, "ExitGraceTooLong"),
        ({"exit_delay": 2 * DAY - 1}, "ExitDelayTooShort"),
        ({"exit_delay": 365 * DAY + 1}, "ExitDelayTooLong"),
        ({"exit_delay": 2**64 - 1}, "ExitDelayTooLong"),  # the audit's wrapping delay
        ({"root_epoch": 0}, "RootEpochIsZero"),
        ({"root_epoch": DAY + 1, "root_ttl": 2 * DAY}, "RootEpochTooLong"),
        ({"root_ttl": 599}, "RootTtlTooShort"),
        ({"root_ttl": 899}, "RootTtlTooShort"),  # one epoch but no margin
        ({"root_ttl": 30 * DAY + 1}, "RootTtlTooLong"),
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
        ({"max_depth": 0}, "MaxDepthMismatch"),
        ({"max_depth": 1}, "MaxDepthMismatch"),
        ({"max_depth": 19}, "MaxDepthMismatch"),
        ({"max_depth": 21}, "MaxDepthMismatch"),
        ({"max_depth": 32}, "MaxDepthMismatch"),
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
        {"root_ttl": 899},
        {"server_pk_x": 1, "server_pk_y": 2},
        {"server_pk_x": 0, "server_pk_y": 1},
    ):
        with pytest.raises((VaultParamsError, ValueError)):
            make_params(**overrides)


# Each bound exactly at its limit, then one step past it: the contract and every Python model
# that carries the parameter agree on both sides (prover/chain/param_bounds.py).
LIMITS: list[tuple[dict[str, int], dict[str, int], str]] = [
    ({"note_ttl_days": 3650}, {"note_ttl_days": 3651}, "NoteTtlTooLong"),
    ({"exit_grace_days": 365}, {"exit_grace_days": 366}, "ExitGraceTooLong"),
    ({"exit_delay": 365 * DAY}, {"exit_delay": 365 * DAY + 1}, "ExitDelayTooLong"),
    (
        {"root_epoch": DAY, "root_ttl": DAY + 300},
        {"root_epoch": DAY + 1, "root_ttl": DAY + 301},
        "RootEpochTooLong",
    ),
    ({"root_ttl": 900}, {"root_ttl": 899}, "RootTtlTooShort"),
    ({"root_ttl": 30 * DAY}, {"root_ttl": 30 * DAY + 1}, "RootTtlTooLong"),
]


@pytest.mark.parametrize(("at_limit", "past_limit", "error"), LIMITS, ids=[e for *_, e in LIMITS])
def test_the_contract_and_the_python_models_agree_on_each_parameter_bound(
    deploy_raw: Callable[..., Any],
    make_params: Callable[..., VaultParams],
    at_limit: dict[str, int],
    past_limit: dict[str, int],
    error: str,
) -> None:
    from prover.chain.deploy.inputs import DeployConfig
    from prover.chain.registration import RegisteredParams
    from prover.client.profile import ProviderPin

    vault = deploy_raw(**at_limit)
    assert all(getattr(vault.params(), k) == v for k, v in at_limit.items())
    assert make_params(**at_limit).model_dump().items() >= at_limit.items()
    with reverts_with(error):
        deploy_raw(**past_limit)
    with pytest.raises((VaultParamsError, ValueError)):
        make_params(**past_limit)
    registered = RegisteredParams.from_params(make_params()).model_dump()
    RegisteredParams.model_validate({**registered, **at_limit})
    with pytest.raises(ValueError):
        RegisteredParams.model_validate({**registered, **past_limit})
    for model in (DeployConfig, ProviderPin):
        names = set(model.model_fields) & set(past_limit)
        assert names == set(past_limit), f"{model.__name__} lacks {set(past_limit) - names}"
        with pytest.raises(ValueError) as info:
            model.model_validate(
                {
                    **{
                        k: v
                        for k, v in make_params().model_dump().items()
                        if k in model.model_fields
                    },
                    **past_limit,
                }
            )
        assert any(e["loc"] and e["loc"][0] in past_limit for e in info.value.errors())  # type: ignore[attr-defined]


def test_params_reads_back_exactly_what_was_deployed_and_the_service_id_matches_python(
    w3: Web3,
    deploy_vault: Callable[..., CreditVaultClient],
    make_params: Callable[..., VaultParams],
) -> None:
    params = make_params(c_max=7, note_ttl_days=9, exit_grace_days=3, root_ttl=1800)
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
