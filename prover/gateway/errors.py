"""Errors of the gateway's top-level modules (revenue); subpackages keep their own `errors.py`."""

from __future__ import annotations

from prover.errors import ZkCreditsError


class RevenueError(ZkCreditsError):
    """A revenue report or collection that cannot be made (`field` names the input)."""
