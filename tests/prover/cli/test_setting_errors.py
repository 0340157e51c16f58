"""A malformed `ZKCREDITS_*` variable, read through the real entry point (`main`): one line
naming the variable, exit status 2, no traceback, nothing done; a secret is never echoed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from prover.cli.main import main
from prover.client.profile import ClientProfile, new_token, save_profile
from prover.client.wallet import KdfParams, Wallet
from prover.errors import SettingsValueError

PASS = "the right passphrase"
BAD_KEY = "0xnot-a-key-at-all"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("ZKCREDITS_"):
            monkeypatch.delenv(name)


@pytest.fixture
def wallet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "w.zkw"
    Wallet.create(path, PASS, kdf=KdfParams(log2_n=10, r=8, p=1)).close()
    save_profile(path, ClientProfile(token=new_token(), rpc_url="http://127.0.0.1:9"))
    monkeypatch.setenv("ZKCREDITS_WALLET_PASSPHRASE", PASS)
    return path


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out = capsys.readouterr()
    assert "Traceback" not in out.err + out.out
    return code, out.out, out.err


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    return lines[0]


def test_client_confirmations_garbage_is_exit_2_naming_the_variable(
    wallet: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZKCREDITS_CONFIRMATIONS", "garbage")
    code, _, err = _run(["client", "balance", "--wallet", str(wallet)], capsys)
    line = _one_line(err)
    assert code == 2
    assert "ZKCREDITS_CONFIRMATIONS" in line and "'garbage'" in line


def test_client_confirmations_garbage_is_named_in_the_json_error_too(
    wallet: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZKCREDITS_CONFIRMATIONS", "-3")
    code, out, _ = _run(["client", "balance", "--wallet", str(wallet), "--json"], capsys)
    assert code == 2
    assert '"code": "bad_setting"' in out and '"field": "confirmations"' in out


@pytest.mark.parametrize("value", ["finalized", "auto", "0"])
def test_client_accepts_every_finality_value_the_gateway_accepts(
    value: str, wallet: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZKCREDITS_CONFIRMATIONS", value)
    code, _, err = _run(["client", "balance", "--wallet", str(wallet)], capsys)
    assert code == 0, err


def test_the_wallet_variable_is_read_through_the_settings_and_an_option_wins(
    wallet: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ZKCREDITS_WALLET", str(wallet))
    code, _, err = _run(["client", "balance"], capsys)
    assert code == 0, err
    code, _, err = _run(["client", "balance", "--wallet", str(tmp_path / "none.zkw")], capsys)
    assert code == 1 and "none.zkw" in _one_line(err)


def test_a_malformed_client_key_is_exit_2_and_never_echoed(
    wallet: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZKCREDITS_CLIENT_KEY", BAD_KEY)
    code, out, err = _run(["client", "balance", "--wallet", str(wallet)], capsys)
    line = _one_line(err)
    assert code == 2 and "ZKCREDITS_CLIENT_KEY" in line
    assert BAD_KEY not in out + err


def test_a_malformed_deployer_key_is_exit_2_before_anything_is_deployed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZKCREDITS_DEPLOYER_KEY", BAD_KEY)
    config = tmp_path / "deploy.json"
    config.write_text("{}")
    out_dir = tmp_path / "out"
    args = ["deploy", "run", "--config", str(config), "--rpc-url", "http://127.0.0.1:9",
            "--deployments-dir", str(out_dir)]  # fmt: skip
    code, out, err = _run(args, capsys)
    assert code == 2
    assert "ZKCREDITS_DEPLOYER_KEY" in out + err and "32 bytes of hex" in out + err
    assert BAD_KEY not in out + err
    assert not out_dir.exists()


def test_a_malformed_treasury_key_is_a_named_setting_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZKCREDITS_TREASURY_KEY", BAD_KEY)
    from prover.cli.provider import _treasury_key

    with pytest.raises(SettingsValueError) as info:
        _treasury_key(None)
    assert info.value.variable == "ZKCREDITS_TREASURY_KEY"
    assert "ZKCREDITS_TREASURY_KEY" in str(info.value) and BAD_KEY not in str(info.value)


def test_a_malformed_tee_variable_is_a_named_setting_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prover.client.tee_check import tee_settings

    monkeypatch.setenv("ZKCREDITS_TEE_RECHECK_SECONDS", "-1")
    with pytest.raises(SettingsValueError) as info:
        tee_settings()
    assert info.value.variable == "ZKCREDITS_TEE_RECHECK_SECONDS"
    assert str(info.value).startswith("ZKCREDITS_TEE_RECHECK_SECONDS:")


@pytest.mark.parametrize(
    ("variable", "value"), [("ZKCREDITS_LOG_FORMAT", "xml"), ("ZKCREDITS_WARN_LOW_CALLS", "x")]
)
def test_a_malformed_shared_client_variable_is_exit_2_naming_it(
    variable: str,
    value: str,
    wallet: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(variable, value)
    args = ["client", "serve", "--wallet", str(wallet)]
    if variable == "ZKCREDITS_WARN_LOW_CALLS":
        args = ["client", "balance", "--wallet", str(wallet)]
    code, _, err = _run(args, capsys)
    assert code == 2 and _one_line(err).startswith(f"error: {variable}:")
