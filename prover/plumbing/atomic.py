"""Crash-safe file writes: a temporary file beside the target, fsync, rename, fsync the directory.

A reader sees either the old file or the complete new one, never a prefix, and after the
function returns the new file survives a power loss (the directory entry is synced too). The
temporary file has a unique name (`.<name>.<random>.tmp`), so concurrent writers never share
one; it is removed if the write fails. Files are created with mode 0600 unless `mode` says
otherwise. `on_step` (optional) is called after each durable step with its name:
`tmp_written`, `tmp_synced`, `renamed`, `dir_synced` (the wallet's crash matrix uses it).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

Step = Callable[[str], None]


def _no_step(_: str) -> None:
    return None


def atomic_write_bytes(
    path: Path, data: bytes, *, mode: int = 0o600, on_step: Step = _no_step
) -> None:
    """Replace `path` with `data` atomically and durably."""

    def write(tmp: Path) -> None:
        fd = os.open(tmp, os.O_WRONLY | os.O_TRUNC)
        try:
            write_all(fd, data)
        finally:
            os.close(fd)

    atomic_write_with(path, write, mode=mode, on_step=on_step)


def atomic_write_text(path: Path, text: str, *, mode: int = 0o600) -> None:
    """Replace `path` with UTF-8 `text` atomically and durably."""
    atomic_write_bytes(path, text.encode(), mode=mode)


def atomic_copy(src: Path, dst: Path, *, mode: int = 0o600) -> None:
    """Copy `src` to `dst` atomically and durably."""
    atomic_write_bytes(dst, src.read_bytes(), mode=mode)


def atomic_write_with(
    path: Path, writer: Callable[[Path], object], *, mode: int = 0o600, on_step: Step = _no_step
) -> None:
    """Let `writer` fill a temporary path (e.g. a library's `save(path)`), then rename it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        try:
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
        writer(tmp)
        on_step("tmp_written")
        fsync_file(tmp)
        on_step("tmp_synced")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    on_step("renamed")
    fsync_dir(path.parent)
    on_step("dir_synced")


def write_all(fd: int, data: bytes) -> None:
    """`os.write` until every byte of `data` is written (a write may be short)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(directory: Path) -> None:
    """Make a rename or a new name in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
