"""Crash-safe file writes for circuit artifacts (the writes themselves: `prover.plumbing.atomic`).

A reader sees either the old file or the complete new one, never a prefix. Key directories add
one more rule on top (see `keys.py`): the manifest, written last, lists the sha256 of every file,
so a directory without a matching manifest never counts as complete.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from prover.plumbing.atomic import (
    atomic_copy as atomic_copy,
)
from prover.plumbing.atomic import (
    atomic_write_bytes as atomic_write_bytes,
)
from prover.plumbing.atomic import (
    atomic_write_text as atomic_write_text,
)
from prover.plumbing.atomic import (
    atomic_write_with as atomic_write_with,
)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes (streamed)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
