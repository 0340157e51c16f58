#!/usr/bin/env python3
"""Build the package data (`prover/artifacts/data/`) from the checkout; cached on input hashes.

Usage: .venv/bin/python scripts/build_artifacts.py [--force]
"""

from __future__ import annotations

import sys
import time

from prover.errors import ZkCreditsError
from prover.toolchain.artifact_build import build_artifacts


def main(argv: list[str]) -> int:
    started = time.monotonic()
    try:
        report = build_artifacts(force="--force" in argv)
    except ZkCreditsError as exc:
        print(f"build_artifacts: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    state = "built" if report.built else "up to date"
    print(
        f"artifacts {state}: {report.files} files in {report.directory} "
        f"(inputs {report.inputs_sha256[:16]}, {time.monotonic() - started:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
