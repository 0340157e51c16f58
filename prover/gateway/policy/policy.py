"""`RulePolicy`: the default `prover.gateway.ports.Policy` (PROTOCOL §6 step 4, issue 5 item 5).

The first matching rule (size rules first) sets `penalty = penalty_max` with
`evidence_hash = keccak256(evidence)` and appends the evidence to the signed `PenaltyLog`.
If the log cannot be written the call is *not* penalised (logged as an error): a penalty with no
public, signed record could not be checked by anyone, so the policy fails open.
"""

from __future__ import annotations

from collections.abc import Sequence

from prover.gateway.policy.errors import PenaltyLogError, PolicyConfigError
from prover.gateway.policy.evidence import ZERO_HASH, build_evidence, evidence_hash
from prover.gateway.policy.log import PenaltyLedger
from prover.gateway.policy.rules import PolicyConfig, Rule, build_rules, default_policy_config
from prover.gateway.ports import ForwardRequest, Policy, PolicyDecision
from prover.logs import get_logger

log = get_logger("zkcredits.gateway.policy")

NO_PENALTY = PolicyDecision(penalty=0, evidence_hash=ZERO_HASH, rule=None)


class RulePolicy:
    """`RulePolicy(rules, penalty_max=..., log=PenaltyLog(...))` (any `PenaltyLedger`)."""

    def __init__(
        self, rules: Sequence[Rule], *, penalty_max: int, log: PenaltyLedger | None = None
    ) -> None:
        if not 0 <= penalty_max < 1 << 64:
            raise PolicyConfigError(
                f"penalty_max must be in [0, 2^64), got {penalty_max}", field="penalty_max"
            )
        self._rules = list(rules)
        self._penalty_max = penalty_max
        self._log = log
        self.config: PolicyConfig | None = None  # the published rule set, when built from one

    @classmethod
    def from_config(
        cls, config: PolicyConfig | None, *, penalty_max: int, log: PenaltyLedger | None = None
    ) -> RulePolicy:
        config = config or default_policy_config()
        policy = cls(build_rules(config), penalty_max=penalty_max, log=log)
        policy.config = config
        return policy

    def evaluate(
        self, request: ForwardRequest, reply_body: bytes, *, request_digest: int | None = None
    ) -> PolicyDecision:
        """Penalty decision; pass `request_digest` (D5 `h`) to bind evidence to the call."""
        if self._penalty_max == 0:
            return NO_PENALTY
        for rule in self._rules:
            match = rule.check(request, reply_body)
            if match is None:
                continue
            digest = request_digest if request_digest is not None else request.request_digest
            evidence = build_evidence(match, self._penalty_max, request, digest)
            if self._log is not None:
                try:
                    self._log.append(evidence)
                except PenaltyLogError as exc:
                    log.error("penalty_log_failed", rule_id=rule.rule_id, error=str(exc))
                    return NO_PENALTY
            return PolicyDecision(self._penalty_max, evidence_hash(evidence), rule.rule_id)
        return NO_PENALTY


def _conforms(policy: RulePolicy) -> Policy:
    return policy  # mypy: RulePolicy satisfies the pipeline's `Policy` protocol
