"""`ServeSettings` and the config file: one JSON format, option > variable > file > default,
finality per chain, and the bundle's terms never overridden."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prover.gateway.app.errors import GatewayConfigError
from prover.gateway.app.settings import GatewaySettings
from prover.gateway.bundle import TERM_FIELDS, read_gateway_bundle
from prover.gateway.config import (
    ServeSettings,
    gateway_settings,
    load_serve_settings,
    operator_fields,
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("ZKCREDITS_GATEWAY_"):
            monkeypatch.delenv(name)


def _config(tmp_path: Path, values: dict[str, object]) -> Path:
    path = tmp_path / "gateway.json"
    path.write_text(json.dumps(values))
    return path


def test_an_option_beats_a_variable_which_beats_the_file_which_beats_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bundle_file: Path
) -> None:
    config = _config(tmp_path, {"port": 9001, "host": "127.0.0.2", "chain_poll_seconds": 5})
    base = {"deployment": bundle_file}
    assert load_serve_settings(base, None).port == 8402
    assert load_serve_settings(base, config).port == 9001
    monkeypatch.setenv("ZKCREDITS_GATEWAY_PORT", "9002")
    loaded = load_serve_settings(base, config)
    assert (loaded.port, loaded.host, loaded.chain_poll_seconds) == (9002, "127.0.0.2", 5.0)
    assert load_serve_settings({**base, "port": 9003, "host": None}, config).port == 9003


def test_relative_paths_in_the_file_are_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    config = _config(tmp_path / "etc", {"deployment": "b.json", "data_dir": "../state"})
    loaded = load_serve_settings({}, config)
    assert loaded.deployment == (tmp_path / "etc" / "b.json")
    assert loaded.data_dir == (tmp_path / "etc" / ".." / "state")


def test_an_unknown_key_or_a_vault_term_in_the_file_is_refused_by_name(
    tmp_path: Path, bundle_file: Path
) -> None:
    for key in ("prot", "c_max", "server_pk"):
        with pytest.raises(GatewayConfigError) as info:
            load_serve_settings({"deployment": bundle_file}, _config(tmp_path, {key: 1}))
        assert info.value.field == key and repr(key) in str(info.value)


def test_finality_is_zero_confirmations_on_local_chains_and_the_finalized_tag_elsewhere() -> None:
    auto = ServeSettings()
    assert [auto.confirmations(c) for c in (31337, 1337)] == [0, 0]
    assert [auto.confirmations(c) for c in (1, 10, 8453, 11155111)] == [None] * 4
    assert ServeSettings(finality="finalized").confirmations(31337) is None
    assert ServeSettings(finality=" 12 ").confirmations(1) == 12


def test_the_limits_come_from_the_environment_or_the_file_and_the_terms_from_the_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bundle_file: Path
) -> None:
    config = _config(tmp_path, {"max_body_bytes": 4096, "unpaid_burst": 3})
    monkeypatch.setenv("ZKCREDITS_GATEWAY_UNPAID_BURST", "7")
    monkeypatch.setenv("ZKCREDITS_GATEWAY_C_MAX", "1")  # cannot override the bundle's term
    settings = gateway_settings(read_gateway_bundle(bundle_file), config)
    assert (settings.max_body_bytes, settings.unpaid_burst, settings.c_max) == (4096, 7, 1000)
    assert settings.service_id == read_gateway_bundle(bundle_file).service_id


def test_the_two_settings_classes_share_no_name_and_the_bundle_sets_every_term() -> None:
    assert not set(ServeSettings.model_fields) & set(GatewaySettings.model_fields)
    assert set(GatewaySettings.model_fields) >= TERM_FIELDS
    assert operator_fields() == set(GatewaySettings.model_fields) - TERM_FIELDS
    assert "max_body_bytes" in operator_fields() and "c_max" not in operator_fields()
