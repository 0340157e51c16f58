"""`zkcredits client` on bad input: one clear line, exit status 1, nothing touched."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from prover.cli.main import app
from prover.client.profile import ClientProfile, new_token, profile_path, save_profile
from prover.client.wallet import KdfParams, Wallet

PASS = "the right passphrase"


def _snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(directory)): (
            p.read_bytes() if p.is_file() else b"",
            p.stat().st_mtime_ns,
        )
        for p in sorted(directory.rglob("*"))
    }


@pytest.fixture
def wallet(tmp_path: Path) -> Path:
    path = tmp_path / "w.zkw"
    Wallet.create(path, PASS, kdf=KdfParams(log2_n=10, r=8, p=1)).close()
    save_profile(path, ClientProfile(token=new_token(), rpc_url="http://127.0.0.1:9"))
    return path


def _invoke(args: list[str], passphrase: str, *, json_out: bool = False) -> tuple[int, str]:
    env = {"ZKCREDITS_WALLET_PASSPHRASE": passphrase, "ZKCREDITS_CLIENT_KEY": ""}
    result = CliRunner().invoke(app, ["client", *args, *(["--json"] if json_out else [])], env=env)
    return result.exit_code, result.output


def _one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("error:"), output
    assert "Traceback" not in output
    return lines[0]


def test_a_wrong_passphrase_is_one_line_and_touches_nothing(wallet: Path) -> None:
    before = _snapshot(wallet.parent)
    code, output = _invoke(["balance", "--wallet", str(wallet)], "not it")
    assert code == 1
    assert "passphrase" in _one_error_line(output).lower()
    assert _snapshot(wallet.parent) == before


def test_a_corrupt_wallet_is_one_line_and_touches_nothing(wallet: Path) -> None:
    data = bytearray(wallet.read_bytes())
    data[-5] ^= 0x40
    wallet.write_bytes(bytes(data))
    before = _snapshot(wallet.parent)
    code, output = _invoke(["balance", "--wallet", str(wallet)], PASS)
    assert code == 1
    _one_error_line(output)
    assert _snapshot(wallet.parent) == before


def test_a_wrong_passphrase_with_json_gives_an_error_object(wallet: Path) -> None:
    code, output = _invoke(["balance", "--wallet", str(wallet)], "not it", json_out=True)
    assert code == 1
    error = json.loads(output.strip())["error"]
    assert error["type"] == "WrongPassphraseError" and error["message"]


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_chain_at_init_creates_no_wallet(tmp_path: Path) -> None:
    path = tmp_path / "new.zkw"
    code, output = _invoke(
        ["init", "--wallet", str(path), "--rpc-url", f"http://127.0.0.1:{_dead_port()}",
         "--identity-registry", "0x" + "12" * 20, "--agent-id", "0", "--kdf-log2-n", "10"],
        PASS,
    )  # fmt: skip
    assert code == 1
    assert "no ethereum node answers" in _one_error_line(output).lower()
    assert list(tmp_path.iterdir()) == []


def test_a_deposit_without_a_chain_key_is_refused_before_anything(wallet: Path) -> None:
    before = _snapshot(wallet.parent)
    code, output = _invoke(["deposit", "--wallet", str(wallet), "--amount", "10000"], PASS)
    assert code == 1
    assert "--key-file" in _one_error_line(output)
    assert _snapshot(wallet.parent) == before


def test_a_key_file_readable_by_others_is_refused(wallet: Path, tmp_path: Path) -> None:
    key = tmp_path / "key.hex"
    key.write_text("0x" + "11" * 32)
    os.chmod(key, 0o644)
    before = _snapshot(wallet.parent)
    code, output = _invoke(
        ["deposit", "--wallet", str(wallet), "--amount", "10000", "--key-file", str(key)], PASS
    )
    assert code == 1
    assert "chmod 600" in _one_error_line(output)
    assert _snapshot(wallet.parent) == before


def test_init_creates_a_wallet_and_a_private_profile_with_a_token(tmp_path: Path) -> None:
    path = tmp_path / "fresh.zkw"
    code, output = _invoke(
        ["init", "--wallet", str(path), "--kdf-log2-n", "10", "--show-token"], PASS, json_out=True
    )
    assert code == 0, output
    data = json.loads(output.strip().splitlines()[-1])
    assert len(data["token"]) >= 32
    assert profile_path(path).stat().st_mode & 0o077 == 0
    with Wallet.open(path, PASS) as opened:
        assert opened.notes() == []


def test_serve_refuses_a_host_name_before_opening_anything(wallet: Path) -> None:
    before = _snapshot(wallet.parent)
    code, output = _invoke(["serve", "--wallet", str(wallet), "--host", "localhost"], "not it")
    assert code == 1
    assert "IP address" in _one_error_line(output)
    assert _snapshot(wallet.parent) == before


def test_serve_refuses_an_address_of_another_machine_at_once(wallet: Path) -> None:
    # 192.0.2.1 (TEST-NET-1) is no address of this machine: the bind fails before the wallet
    # is opened (the wrong passphrase is never even tried)
    code, output = _invoke(["serve", "--wallet", str(wallet), "--host", "192.0.2.1"], "not it")
    assert code == 1
    assert "not an address of this machine" in _one_error_line(output)


def test_serve_reports_a_port_in_use_at_once_without_opening_the_wallet(wallet: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        started = time.monotonic()
        code, output = _invoke(["serve", "--wallet", str(wallet), "--port", str(port)], "not it")
        elapsed = time.monotonic() - started
    assert code == 1
    line = _one_error_line(output)
    assert f"127.0.0.1:{port}" in line and "in use" in line
    assert "passphrase" not in line.lower()  # refused before the wallet's key derivation
    print(f"port-in-use refusal took {elapsed:.2f} s")


def test_usage_errors_keep_exit_status_2(wallet: Path) -> None:
    code, output = _invoke(["balance", "--wallet", str(wallet), "--no-such-option"], PASS)
    assert code == 2
    assert "no-such-option" in output
