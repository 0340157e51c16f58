"""Crash-safe file primitives: atomic replace (temp + fsync + rename + directory fsync)."""

from __future__ import annotations

import os
from pathlib import Path

from prover.client.wallet import crashpoints


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def atomic_replace(path: Path, data: bytes, point: str) -> None:
    """Replace `path` with `data` so that a crash leaves either the old or the new file.

    Crash points: `<point>.tmp_written`, `<point>.tmp_synced`, `<point>.renamed`,
    `<point>.dir_synced`.
    """
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        write_all(fd, data)
        crashpoints.reached(f"{point}.tmp_written")
        os.fsync(fd)
    finally:
        os.close(fd)
    crashpoints.reached(f"{point}.tmp_synced")
    os.replace(tmp, path)
    crashpoints.reached(f"{point}.renamed")
    fsync_dir(path.parent)
    crashpoints.reached(f"{point}.dir_synced")


def read_bytes(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()
