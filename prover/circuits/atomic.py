"""Crash-safe file writes: write a temporary file beside the target, fsync, then rename.

A reader sees either the old file or the complete new one, never a prefix. Key directories add
one more rule on top (see `keys.py`): the manifest, written last, lists the sha256 of every file,
so a directory without a matching manifest never counts as complete.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically (same directory temp file + fsync + rename)."""
    atomic_write_with(path, lambda tmp: tmp.write_bytes(data))


def atomic_write_text(path: Path, text: str) -> None:
    """Replace `path` with UTF-8 `text` atomically."""
    atomic_write_bytes(path, text.encode())


def atomic_write_with(path: Path, writer: Callable[[Path], object]) -> None:
    """Let `writer` fill a temporary path (e.g. a library's `save(path)`), then rename it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        writer(tmp)
        with tmp.open("rb+") as handle:
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def atomic_copy(src: Path, dst: Path) -> None:
    """Copy `src` to `dst` atomically."""
    atomic_write_with(dst, lambda tmp: tmp.write_bytes(src.read_bytes()))


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes (streamed)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
