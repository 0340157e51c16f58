"""Validator settings: `ZKCREDITS_VALIDATOR_*`, options win, a bad value names its source."""

from __future__ import annotations

import pytest

from prover.attest.errors import AttestConfigError
from prover.attest.settings import validator_settings

ADDRESS = "0x" + "11" * 20


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("ZKCREDITS_VALIDATOR_RPC_URL", "http://127.0.0.1:8545")
    monkeypatch.setenv("ZKCREDITS_VALIDATOR_VALIDATION_REGISTRY", ADDRESS)
    monkeypatch.setenv("ZKCREDITS_VALIDATOR_IDENTITY_REGISTRY", ADDRESS)
    return monkeypatch


def test_the_environment_configures_the_validator_and_its_policy(
    env: pytest.MonkeyPatch,
) -> None:
    env.setenv("ZKCREDITS_VALIDATOR_ACCEPTED_TCB_STATUSES", '["UpToDate", "SWHardeningNeeded"]')
    env.setenv("ZKCREDITS_VALIDATOR_TAG", "my-tag")
    config = validator_settings().validator_config()
    assert config.policy.accepted_statuses == {"UpToDate", "SWHardeningNeeded"}
    assert config.tag == "my-tag" and config.allow_private_hosts is False


def test_the_default_policy_is_up_to_date_only(env: pytest.MonkeyPatch) -> None:
    assert validator_settings().validator_config().policy.accepted_statuses == {"UpToDate"}


def test_an_option_wins_over_the_environment(env: pytest.MonkeyPatch) -> None:
    assert validator_settings(rpc_url="https://rpc.example").rpc_url == "https://rpc.example"


def test_a_bad_environment_value_names_the_variable(env: pytest.MonkeyPatch) -> None:
    env.setenv("ZKCREDITS_VALIDATOR_ACCEPTED_TCB_STATUSES", '["Revoked"]')
    with pytest.raises(AttestConfigError) as info:
        validator_settings()
    assert "ZKCREDITS_VALIDATOR_ACCEPTED_TCB_STATUSES" in str(info.value)
    assert info.value.field == "accepted_tcb_statuses"


def test_a_bad_option_names_the_option(env: pytest.MonkeyPatch) -> None:
    with pytest.raises(AttestConfigError) as info:
        validator_settings(poll_seconds=0)
    assert str(info.value).startswith("--poll-seconds")
