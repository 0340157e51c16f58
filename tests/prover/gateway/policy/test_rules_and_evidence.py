"""Rules set `penalty_max` with an evidence hash that names the rule but hides the content."""

from __future__ import annotations

import json

import pytest

from prover.crypto.rln import keccak256
from prover.gateway.policy import (
    NO_PENALTY,
    PatternRuleConfig,
    PolicyConfig,
    PolicyConfigError,
    RulePolicy,
    SizeRuleConfig,
    Target,
    build_evidence,
    forwarded_digest,
)
from prover.gateway.policy.evidence import span_hash
from prover.gateway.policy.rules import Match, default_policy_config, judged_body

from .conftest import PENALTY_MAX, chat

SECRET_PROMPT = "my private medical question"
MARKED = json.dumps(
    {"messages": [{"role": "user", "content": f"{SECRET_PROMPT} ZKC-FORBIDDEN-DEMO"}]}
).encode()
KEY = b'{"messages":[{"role":"user","content":"-----BEGIN RSA PRIVATE KEY-----\\nMIIE"}]}'


def _policy(config: PolicyConfig | None = None, penalty_max: int = PENALTY_MAX) -> RulePolicy:
    return RulePolicy.from_config(config, penalty_max=penalty_max)


def test_a_clean_request_is_not_penalised() -> None:
    decision = _policy().evaluate(chat(b'{"messages":[]}'), b"{}")
    assert decision == NO_PENALTY
    assert decision.evidence_hash == bytes(32)


@pytest.mark.parametrize(
    ("body", "rule"), [(MARKED, "demo-forbidden-marker"), (KEY, "private-key-material")]
)
def test_a_forbidden_pattern_sets_penalty_max_with_an_evidence_hash(body: bytes, rule: str) -> None:
    decision = _policy().evaluate(chat(body), b"{}")
    assert decision.penalty == PENALTY_MAX
    assert decision.rule == rule
    assert len(decision.evidence_hash) == 32 and decision.evidence_hash != bytes(32)


def test_the_evidence_hash_is_keccak_of_canonical_evidence_without_raw_content() -> None:
    request = chat(MARKED)
    h = 0x1234_5678_9ABC_DEF0 << 100
    decision = _policy().evaluate(request, b"{}", request_digest=h)
    start = judged_body(MARKED).index(b"ZKC-FORBIDDEN-DEMO")  # offsets into the decoded text
    match = Match("demo-forbidden-marker", Target.BODY, start, start + 18, b"ZKC-FORBIDDEN-DEMO")
    evidence = build_evidence(match, PENALTY_MAX, request, h)
    assert decision.evidence_hash == keccak256(evidence)
    parsed = json.loads(evidence)
    assert parsed == {
        "v": 1,
        "rule": "demo-forbidden-marker",
        "penalty": str(PENALTY_MAX),
        "digest_kind": "h",
        "request_digest": "0x" + h.to_bytes(32, "big").hex(),
        "target": "body",
        "span": {
            "start": start,
            "end": start + 18,
            "hash": "0x" + span_hash(h.to_bytes(32, "big"), match).hex(),
        },
        "size": None,
    }
    assert evidence == json.dumps(parsed, sort_keys=True, separators=(",", ":")).encode()
    assert b"FORBIDDEN" not in evidence and SECRET_PROMPT.encode() not in evidence


def test_the_evidence_binds_the_request_digest() -> None:
    policy = _policy()
    one = policy.evaluate(chat(MARKED), b"", request_digest=1).evidence_hash
    two = policy.evaluate(chat(MARKED), b"", request_digest=2).evidence_hash
    assert one != two
    assert policy.evaluate(chat(MARKED), b"", request_digest=1).evidence_hash == one


def test_without_h_the_evidence_uses_the_forwarded_digest_the_caller_can_recompute() -> None:
    request = chat(MARKED)
    decision = _policy().evaluate(request, b"")
    framed = b"".join(
        len(p).to_bytes(4, "big") + p for p in (b"POST", request.path.encode(), MARKED)
    )
    expected_digest = keccak256(b"zkcredits/policy/forwarded/v1" + framed)
    assert forwarded_digest(request) == expected_digest
    start = judged_body(MARKED).index(b"ZKC")
    match = Match("demo-forbidden-marker", Target.BODY, start, start + 18, b"ZKC-FORBIDDEN-DEMO")
    assert decision.evidence_hash == keccak256(build_evidence(match, PENALTY_MAX, request))


def test_the_size_rule_runs_first_and_records_the_size_not_a_span() -> None:
    config = PolicyConfig(
        rules=(
            PatternRuleConfig(id="marker", pattern="ZKC-FORBIDDEN-DEMO"),
            SizeRuleConfig(id="too-big", max_bytes=32),
        )
    )
    decision = _policy(config).evaluate(chat(MARKED), b"", request_digest=7)
    assert decision.rule == "too-big"
    match = Match("too-big", Target.BODY, 0, 0, b"", size=len(MARKED))
    evidence = build_evidence(match, PENALTY_MAX, chat(MARKED), 7)
    assert decision.evidence_hash == keccak256(evidence)
    assert json.loads(evidence)["size"] == len(MARKED)
    assert json.loads(evidence)["span"] is None
    small = _policy(config).evaluate(chat(b"{}"), b"")
    assert small == NO_PENALTY


def test_rules_can_target_the_path_or_the_reply() -> None:
    config = PolicyConfig(
        rules=(
            PatternRuleConfig(id="admin-path", pattern=r"^/admin", target=Target.PATH),
            PatternRuleConfig(id="leak", pattern=r"sk-[a-z0-9]{8}", target=Target.REPLY),
        )
    )
    policy = _policy(config)
    assert policy.evaluate(chat(b"{}", path="/admin/x"), b"").rule == "admin-path"
    assert policy.evaluate(chat(b"{}"), b'{"t":"sk-abcdef12"}').rule == "leak"
    assert policy.evaluate(chat(b"{}"), b'{"t":"sk-ABC"}') == NO_PENALTY


def test_case_sensitivity_is_configurable() -> None:
    loose = PolicyConfig(rules=(PatternRuleConfig(id="w", pattern="secret"),))
    strict = PolicyConfig(rules=(PatternRuleConfig(id="w", pattern="secret", ignore_case=False),))
    assert _policy(loose).evaluate(chat(b"SECRET"), b"").penalty == PENALTY_MAX
    assert _policy(strict).evaluate(chat(b"SECRET"), b"") == NO_PENALTY


def test_a_vault_without_penalties_never_penalises() -> None:
    assert _policy(penalty_max=0).evaluate(chat(MARKED), b"") == NO_PENALTY


def test_bad_rule_sets_are_refused() -> None:
    with pytest.raises(PolicyConfigError) as err:
        _policy(PolicyConfig(rules=(PatternRuleConfig(id="x", pattern="(unclosed"),)))
    assert err.value.field == "pattern"
    twice = PolicyConfig(
        rules=(PatternRuleConfig(id="x", pattern="a"), SizeRuleConfig(id="x", max_bytes=1))
    )
    with pytest.raises(PolicyConfigError, match="duplicate"):
        _policy(twice)
    with pytest.raises(PolicyConfigError):
        RulePolicy([], penalty_max=-1)


def test_a_rule_set_round_trips_through_json() -> None:
    config = PolicyConfig(
        rules=(SizeRuleConfig(id="s", max_bytes=9), PatternRuleConfig(id="p", pattern="x"))
    )
    again = PolicyConfig.model_validate_json(config.model_dump_json())
    assert again == config


@pytest.mark.parametrize(
    "spelling",
    [
        "".join(f"\\u{ord(c):04x}" for c in "ZKC-FORBIDDEN-DEMO"),  # JSON escapes
        "ＺＫＣ－ＦＯＲＢＩＤＤＥＮ－ＤＥＭＯ",  # full-width: NFKC folds it to ASCII
    ],
    ids=["json-escapes", "full-width"],
)
def test_a_marker_in_another_spelling_is_matched_on_the_decoded_text(spelling: str) -> None:
    body = ('{"messages":[{"role":"user","content":"x ' + spelling + ' y"}]}').encode()
    assert b"ZKC-FORBIDDEN-DEMO" not in body
    assert _policy().evaluate(chat(body), b"").penalty == PENALTY_MAX


def test_a_marker_percent_encoded_in_the_path_is_matched_decoded() -> None:
    rule = PatternRuleConfig(id="p", pattern="secret word", target=Target.PATH)
    config = PolicyConfig(rules=(rule,))
    policy = RulePolicy.from_config(config, penalty_max=PENALTY_MAX)
    assert policy.evaluate(chat(b"{}", path="/v1/chat/completions?q=secret+w%6Frd"), b"").penalty


def test_the_policy_hash_pins_every_rule() -> None:
    base = default_policy_config()
    assert len(base.policy_hash()) == 32
    assert base.policy_hash() == default_policy_config().policy_hash()
    fewer = base.model_copy(update={"rules": base.rules[:-1]})
    assert fewer.policy_hash() != base.policy_hash()
