"""The gateway's data directory: XDG default, mode 0700, one deployment per state directory."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from prover.gateway.app.errors import GatewayConfigError
from prover.gateway.datadir import DataDir, default_data_dir

VAULT_A = "0x" + "aa" * 20
VAULT_B = "0x" + "bb" * 20


def test_the_default_is_under_xdg_data_home_or_the_home_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_data_dir({"XDG_DATA_HOME": "/srv/data"}) == Path("/srv/data/zkcredits/gateway")
    home_default = tmp_path / ".local" / "share" / "zkcredits" / "gateway"
    assert default_data_dir({}) == home_default
    # A relative XDG_DATA_HOME is invalid (XDG spec) and never ties state to the working dir.
    assert default_data_dir({"XDG_DATA_HOME": "relative/dir"}) == home_default


def test_the_directory_is_created_private_and_a_deployment_is_bound_to_it(tmp_path: Path) -> None:
    data = DataDir.open(tmp_path / "gw")
    assert stat.S_IMODE(data.root.stat().st_mode) == 0o700
    first = data.deployment(31337, VAULT_A)
    assert first.chain_dir.is_dir() and first.path.name == f"31337-{VAULT_A}"
    assert data.deployment(31337, VAULT_A.upper().replace("0X", "0x")) == first  # same vault
    assert first.store_url == f"sqlite:///{first.path / 'nullifiers.sqlite'}"


def test_state_of_another_deployment_is_refused(tmp_path: Path) -> None:
    data = DataDir.open(tmp_path)
    first = data.deployment(31337, VAULT_A)
    # Someone copies another deployment's state into this directory name.
    (first.path / "deployment.json").write_text(f'{{"chain_id": 1, "vault": "{VAULT_B}"}}\n')
    with pytest.raises(GatewayConfigError) as info:
        data.deployment(31337, VAULT_A)
    assert info.value.field == "data_dir" and VAULT_B in str(info.value)


def test_a_data_dir_that_cannot_be_created_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(GatewayConfigError) as info:
        DataDir.open(blocker / "sub")
    assert info.value.field == "data_dir"


def test_a_second_gateway_on_one_sqlite_deployment_dir_is_refused_until_the_first_ends(
    tmp_path: Path,
) -> None:
    import os

    where = DataDir.open(tmp_path).deployment(31337, VAULT_A)
    first = where.lock_single_gateway()
    with pytest.raises(GatewayConfigError) as info:
        where.lock_single_gateway()
    assert info.value.field == "data_dir" and "another gateway" in str(info.value)
    os.close(first)
    os.close(where.lock_single_gateway())  # free again once the first gateway is gone
