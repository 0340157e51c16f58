"""Errors raised on purpose by the policy hook and the penalty log (root: `PolicyError`)."""

from __future__ import annotations

from prover.errors import ZkCreditsError


class PolicyError(ZkCreditsError):
    """Root of every policy error. `field` names the offending input when there is one."""


class PolicyConfigError(PolicyError):
    """A rule set that cannot be used (bad regex, negative limit, duplicate rule id)."""


class PenaltyLogError(PolicyError):
    """The penalty log file cannot be opened or written."""


class LogTamperError(PolicyError):
    """`verify_log` found an entry that was edited, dropped, reordered or not signed by the key."""

    def __init__(self, message: str, *, seq: int | None, field: str) -> None:
        super().__init__(message, field=field)
        self.seq = seq
