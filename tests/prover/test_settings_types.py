"""The shared setting types: one finality value means the same to the client and the gateway,
chain keys are checked at start-up without being shown, and a bad value names its variable."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from prover.cli.operator_settings import OperatorKeySettings, operator_key
from prover.client.client_settings import ClientSettings, client_settings
from prover.errors import SettingsValueError
from prover.gateway.config import ServeSettings
from prover.settings_types import confirmations_of, load_settings

GOOD = {"auto": "auto", "finalized": "finalized", " Finalized ": "finalized", "0": "0",
        "12": "12", "007": "7", "10000": "10000"}  # fmt: skip
BAD = ["garbage", "-1", "10001", "1.5", "", "latest", "١٢", "12 blocks"]


@pytest.mark.parametrize("given", list(GOOD))
def test_client_and_gateway_accept_the_same_finality_values_alike(given: str) -> None:
    client = ClientSettings(confirmations=given)
    gateway = ServeSettings(finality=given)
    assert client.confirmations == gateway.finality == GOOD[given]


@pytest.mark.parametrize("given", BAD)
def test_client_and_gateway_refuse_the_same_malformed_finality_values(given: str) -> None:
    with pytest.raises(ValidationError, match="auto, finalized or a number of confirmations"):
        ClientSettings(confirmations=given)
    with pytest.raises(ValidationError, match="auto, finalized or a number of confirmations"):
        ServeSettings(finality=given)


def test_a_number_is_a_depth_finalized_the_node_tag_and_auto_depends_on_the_chain() -> None:
    assert confirmations_of("12", 1) == 12
    assert confirmations_of("0", 8453) == 0
    assert confirmations_of("finalized", 31337) is None
    assert confirmations_of("finalized", 1) is None
    assert [confirmations_of("auto", c) for c in (31337, 1337)] == [0, 0]
    assert [confirmations_of("auto", c) for c in (1, 10, 8453)] == [None, None, None]
    assert ServeSettings(finality="auto").confirmations(1) == confirmations_of("auto", 1)


def test_the_client_default_stays_twelve_confirmations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZKCREDITS_CONFIRMATIONS", raising=False)
    assert confirmations_of(client_settings().confirmations, 1) == 12


def test_a_malformed_variable_is_a_named_error_showing_the_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ZKCREDITS_CONFIRMATIONS", "soon")
    with pytest.raises(SettingsValueError) as info:
        client_settings()
    assert info.value.variable == "ZKCREDITS_CONFIRMATIONS"
    assert info.value.field == "confirmations"
    assert str(info.value).startswith("ZKCREDITS_CONFIRMATIONS: must be auto, finalized")
    assert "'soon'" in str(info.value)


@pytest.mark.parametrize(
    "given", ["nothex", "0x" + "11" * 31, "0x" + "zz" * 32, "11" * 33, "0x0x" + "11" * 31]
)
def test_a_malformed_chain_key_is_named_and_never_shown(
    given: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZKCREDITS_TREASURY_KEY", given)
    with pytest.raises(SettingsValueError) as info:
        operator_key("ZKCREDITS_TREASURY_KEY")
    assert info.value.variable == "ZKCREDITS_TREASURY_KEY"
    assert "32 bytes of hex" in str(info.value)
    assert given not in str(info.value)


def test_a_chain_key_with_or_without_0x_and_spaces_is_read_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for given in ("  " + "ab" * 32 + "\n", "0x" + "ab" * 32, "0X" + "ab" * 32):
        monkeypatch.setenv("ZKCREDITS_DEPLOYER_KEY", given)
        assert operator_key("ZKCREDITS_DEPLOYER_KEY") == "0x" + "ab" * 32
    monkeypatch.setenv("ZKCREDITS_DEPLOYER_KEY", "")
    assert operator_key("ZKCREDITS_DEPLOYER_KEY") is None
    assert "ab" * 32 not in repr(OperatorKeySettings(deployer_key="ab" * 32))


def test_an_explicit_value_wins_and_is_named_as_its_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ZKCREDITS_CONFIRMATIONS", raising=False)
    assert load_settings(ClientSettings, confirmations="finalized").confirmations == "finalized"
    with pytest.raises(SettingsValueError) as info:
        load_settings(ClientSettings, confirmations="x")
    assert str(info.value).startswith("confirmations:")
