"""Crash-safe file primitives of the wallet: `prover.plumbing.atomic` with named crash points."""

from __future__ import annotations

from pathlib import Path

from prover.client.wallet import crashpoints
from prover.plumbing.atomic import atomic_write_bytes
from prover.plumbing.atomic import fsync_dir as fsync_dir
from prover.plumbing.atomic import write_all as write_all


def atomic_replace(path: Path, data: bytes, point: str) -> None:
    """Replace `path` with `data` (mode 0600) so that a crash leaves either the old or the new file.

    Crash points: `<point>.tmp_written`, `<point>.tmp_synced`, `<point>.renamed`,
    `<point>.dir_synced`.
    """
    atomic_write_bytes(path, data, on_step=lambda step: crashpoints.reached(f"{point}.{step}"))


def read_bytes(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()
