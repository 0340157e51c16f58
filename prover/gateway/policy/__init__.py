"""The policy hook (PROTOCOL §6 step 4): penalties with hashed evidence and a signed public log."""

from prover.gateway.policy.entry import (
    PENALTY_LOG_TAG,
    PenaltyEntry,
    entry_message,
    is_valid_log,
    verify_entry,
    verify_log,
)
from prover.gateway.policy.errors import (
    LogTamperError,
    PenaltyLogError,
    PolicyConfigError,
    PolicyError,
)
from prover.gateway.policy.evidence import build_evidence, evidence_hash, forwarded_digest
from prover.gateway.policy.log import PenaltyLog, entries_to_wire
from prover.gateway.policy.policy import NO_PENALTY, RulePolicy
from prover.gateway.policy.rules import (
    ForbiddenPattern,
    Match,
    MaxRequestSize,
    PatternRuleConfig,
    PolicyConfig,
    Rule,
    SizeRuleConfig,
    Target,
    build_rules,
    default_policy_config,
)

__all__ = [
    "NO_PENALTY",
    "PENALTY_LOG_TAG",
    "ForbiddenPattern",
    "LogTamperError",
    "Match",
    "MaxRequestSize",
    "PatternRuleConfig",
    "PenaltyEntry",
    "PenaltyLog",
    "PenaltyLogError",
    "PolicyConfig",
    "PolicyConfigError",
    "PolicyError",
    "Rule",
    "RulePolicy",
    "SizeRuleConfig",
    "Target",
    "build_evidence",
    "build_rules",
    "default_policy_config",
    "entries_to_wire",
    "entry_message",
    "evidence_hash",
    "forwarded_digest",
    "is_valid_log",
    "verify_entry",
    "verify_log",
]
