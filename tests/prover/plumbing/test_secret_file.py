"""The secret-file rule on real files: owner only, refusals named, written 0600, never replaced."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from prover.plumbing.errors import (
    SecretFileError,
    SecretFileExistsError,
    SecretFileExposedError,
    SecretFileMalformedError,
    SecretFileMissingError,
    SecretFileUnreadableError,
)
from prover.plumbing.secret_file import read_secret_bytes, read_secret_text, write_secret_bytes


def _secret(path: Path, data: bytes, mode: int) -> Path:
    path.write_bytes(data)
    path.chmod(mode)
    return path


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o602, 0o610, 0o601, 0o660])
def test_a_secret_file_others_have_any_permission_on_is_refused_with_the_fix(
    tmp_path: Path, mode: int
) -> None:
    path = _secret(tmp_path / "key", b"0x" + b"11" * 32, mode)
    with pytest.raises(SecretFileExposedError) as info:
        read_secret_text(path)
    assert f"chmod 600 {path}" in str(info.value)


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_an_owner_only_secret_file_is_read(tmp_path: Path, mode: int) -> None:
    path = _secret(tmp_path / "key", b"  0xabc\n", mode)
    assert read_secret_text(path) == "0xabc"
    assert read_secret_bytes(path) == b"  0xabc\n"


def test_a_missing_secret_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "absent.key"
    with pytest.raises(SecretFileMissingError) as info:
        read_secret_bytes(path)
    assert str(path) in str(info.value)


def test_a_directory_is_not_a_secret_file(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    folder.mkdir(mode=0o700)
    with pytest.raises(SecretFileUnreadableError) as info:
        read_secret_bytes(folder)
    assert str(folder) in str(info.value)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b" \n\t\n", "empty"),
        (b"\xff\xfe key", "not UTF-8"),
        (b"x" * 70_000, "larger"),
    ],
)
def test_malformed_secret_content_is_named(tmp_path: Path, data: bytes, reason: str) -> None:
    path = _secret(tmp_path / "key", data, 0o600)
    with pytest.raises(SecretFileMalformedError) as info:
        read_secret_text(path)
    assert reason in str(info.value) and str(path) in str(info.value)


def test_text_can_keep_its_spaces_and_be_empty_where_the_caller_allows(tmp_path: Path) -> None:
    path = _secret(tmp_path / "pass", b" two words \n", 0o600)
    assert read_secret_text(path, strip=False) == " two words \n"
    empty = _secret(tmp_path / "empty", b"", 0o600)
    assert read_secret_text(empty, allow_empty=True) == ""


def test_a_written_secret_is_0600_whatever_the_umask_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "new" / "server.key"
    old = os.umask(0)
    try:
        write_secret_bytes(path, b"deadbeef\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert read_secret_text(path) == "deadbeef"
    assert [p.name for p in path.parent.iterdir()] == ["server.key"]


def test_a_secret_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "server.key"
    write_secret_bytes(path, b"first")
    with pytest.raises(SecretFileExistsError) as info:
        write_secret_bytes(path, b"second")
    assert str(path) in str(info.value) and path.read_bytes() == b"first"


def test_writers_racing_on_one_path_leave_exactly_one_secret(tmp_path: Path) -> None:
    path = tmp_path / "server.key"
    made: list[bytes] = []
    refused: list[SecretFileError] = []

    def write(i: int) -> None:
        try:
            write_secret_bytes(path, bytes([i]) * 32)
            made.append(bytes([i]) * 32)
        except SecretFileExistsError as exc:
            refused.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 1 and len(refused) == 7
    assert path.read_bytes() == made[0]
    assert [p.name for p in tmp_path.iterdir()] == ["server.key"]  # no temporary file left
