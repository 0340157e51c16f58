"""Atomic writes on real files: replace or keep, never a prefix; mode; the steps in order."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from prover.plumbing.atomic import (
    atomic_copy,
    atomic_write_bytes,
    atomic_write_text,
    atomic_write_with,
)


def test_a_write_replaces_the_file_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    atomic_write_text(path, "old")
    atomic_write_text(path, "new")
    assert path.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_a_write_creates_missing_directories(tmp_path: Path) -> None:
    path = tmp_path / "x" / "y" / "z.bin"
    atomic_write_bytes(path, b"\x00\x01")
    assert path.read_bytes() == b"\x00\x01"


def test_files_are_0600_by_default_and_take_the_mode_given_whatever_the_umask(
    tmp_path: Path,
) -> None:
    old = os.umask(0)
    try:
        atomic_write_bytes(tmp_path / "private", b"s")
        atomic_write_bytes(tmp_path / "public", b"p", mode=0o644)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "private").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "public").stat().st_mode) == 0o644


def test_the_durable_steps_are_reported_in_order(tmp_path: Path) -> None:
    steps: list[str] = []
    atomic_write_bytes(tmp_path / "f", b"data", on_step=steps.append)
    assert steps == ["tmp_written", "tmp_synced", "renamed", "dir_synced"]


def test_a_crash_before_the_rename_leaves_the_old_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "wallet"
    atomic_write_bytes(path, b"old contents")

    class Crash(Exception):
        pass

    def crash_at(step: str) -> None:
        if step == "tmp_synced":
            raise Crash(step)

    with pytest.raises(Crash):
        atomic_write_bytes(path, b"new contents that never land", on_step=crash_at)
    assert path.read_bytes() == b"old contents"
    assert [p.name for p in tmp_path.iterdir()] == ["wallet"]  # the temp file was removed


def test_a_failing_writer_keeps_the_old_file_and_removes_its_temporary(tmp_path: Path) -> None:
    path = tmp_path / "vk.json"
    atomic_write_text(path, "{}")

    def half_then_fail(tmp: Path) -> None:
        tmp.write_text('{"half":')
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write_with(path, half_then_fail)
    assert path.read_text() == "{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vk.json"]


def test_a_writer_fills_the_temporary_path_the_way_a_library_save_does(tmp_path: Path) -> None:
    path = tmp_path / "key.zkey"
    seen: list[Path] = []

    def save(tmp: Path) -> None:
        seen.append(tmp)
        tmp.write_bytes(b"zkey")

    atomic_write_with(path, save)
    assert path.read_bytes() == b"zkey"
    assert seen[0].parent == tmp_path and seen[0] != path and not seen[0].exists()


def test_a_copy_is_byte_identical(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.write_bytes(os.urandom(100_000))
    atomic_copy(src, tmp_path / "out" / "dst")
    assert (tmp_path / "out" / "dst").read_bytes() == src.read_bytes()
