"""Errors of the demo story."""

from __future__ import annotations

from prover.errors import ZkCreditsError


class DemoError(ZkCreditsError):
    """A stage of the story did not reach its expected outcome."""
