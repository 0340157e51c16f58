"""`zkcredits gateway keygen` and the state-key file: range, mode 0600, never overwritten."""

from __future__ import annotations

import json
import stat
import threading
from pathlib import Path

import pytest

from prover.cli.main import main
from prover.crypto.babyjub import Point, in_subgroup
from prover.crypto.eddsa import L, public_key
from prover.gateway.app.errors import GatewayConfigError
from prover.gateway.server_key import read_server_key, write_server_key


def test_keygen_writes_a_0600_key_in_range_and_prints_its_server_pk(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "keys" / "server.key"
    assert main(["gateway", "keygen", "--out", str(path), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert len(text) == 65 and text.endswith("\n")
    secret = int(text, 16)
    assert 1 <= secret < L
    pk = Point(int(printed["server_pk"][0]), int(printed["server_pk"][1]))
    assert pk == public_key(secret) and in_subgroup(pk) and not pk.is_identity
    assert read_server_key(path) == secret
    assert printed["path"] == str(path)


def test_keygen_never_overwrites_a_key_and_says_so_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "server.key"
    assert main(["gateway", "keygen", "--out", str(path)]) == 0
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    capsys.readouterr()
    assert main(["gateway", "keygen", "--out", str(path)]) == 1
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and "already exists" in err[0] and err[0].startswith("error: out:")
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_two_keygens_racing_on_one_path_leave_exactly_one_key(tmp_path: Path) -> None:
    path = tmp_path / "server.key"
    made: list[Point] = []
    refused: list[Exception] = []

    def run() -> None:
        try:
            made.append(write_server_key(path))
        except GatewayConfigError as exc:
            refused.append(exc)

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 1 and len(refused) == 7
    assert public_key(read_server_key(path)) == made[0]
    assert [p.name for p in tmp_path.iterdir()] == ["server.key"]  # no temporary file left


def test_fresh_keys_differ(tmp_path: Path) -> None:
    keys = {
        read_server_key(tmp_path / str(i)) for i in range(4) if write_server_key(tmp_path / str(i))
    }
    assert len(keys) == 4


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("0" * 64, "Baby Jubjub"),  # 0 is not a key
        (f"{L:064x}", "Baby Jubjub"),  # l itself is out of range
        ("f" * 64, "Baby Jubjub"),  # 2^256 - 1
        ("zz" * 32, "not hex"),
        ("ab" * 31, "32-byte"),
    ],
)
def test_a_key_file_out_of_range_or_malformed_is_refused_naming_the_field(
    tmp_path: Path, content: str, reason: str
) -> None:
    path = tmp_path / "server.key"
    path.write_text(content)
    path.chmod(0o600)  # the owner's alone: what is refused is the content
    with pytest.raises(GatewayConfigError) as info:
        read_server_key(path)
    assert info.value.field == "server_key" and reason in str(info.value)


def test_a_missing_key_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(GatewayConfigError) as info:
        read_server_key(tmp_path / "absent.key", field="server_key_file")
    assert info.value.field == "server_key_file" and "gateway keygen" in str(info.value)
