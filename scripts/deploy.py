#!/usr/bin/env python3
"""Thin wrapper: `python scripts/deploy.py run --config … --rpc-url …` = `zkcredits deploy …`."""

from prover.cli.deploy import app

if __name__ == "__main__":
    app()
