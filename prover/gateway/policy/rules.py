"""Policy rules: pure checks over a forwarded request (and its reply) that report a match.

A rule returns a `Match` naming where it matched; the raw matched bytes stay inside the gateway
process (only their hash goes into public evidence, see `evidence.py`). Patterns are regular
expressions over bytes. They are the operator's, not the caller's; a backtracking pattern could
still be slow on hostile input, so size rules run first: a body past the limit is never scanned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from prover.gateway.policy.errors import PolicyConfigError
from prover.gateway.ports import ForwardRequest

RULE_ID = r"^[a-z0-9][a-z0-9_\-.]{0,63}$"


class Target(StrEnum):
    PATH = "path"
    BODY = "body"
    REPLY = "reply"


@dataclass(frozen=True)
class Match:
    rule_id: str
    target: Target
    start: int
    end: int
    span: bytes  # private: hashed into evidence, never published
    size: int | None = None  # the size that broke a size rule


class Rule(Protocol):
    @property
    def rule_id(self) -> str: ...

    def check(self, request: ForwardRequest, reply_body: bytes) -> Match | None: ...


def _target_bytes(target: Target, request: ForwardRequest, reply_body: bytes) -> bytes:
    if target is Target.PATH:
        return request.path.encode("utf-8", errors="surrogateescape")
    if target is Target.BODY:
        return request.body
    return reply_body


class PatternRuleConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["pattern"] = "pattern"
    id: str = Field(pattern=RULE_ID)
    pattern: str = Field(min_length=1, max_length=1000)
    target: Target = Target.BODY
    ignore_case: bool = True


class SizeRuleConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["size"] = "size"
    id: str = Field(pattern=RULE_ID)
    max_bytes: int = Field(ge=0, lt=1 << 32)


class ForbiddenPattern:
    """Matches if `pattern` (a bytes regex) occurs in the target."""

    def __init__(self, config: PatternRuleConfig) -> None:
        flags = re.IGNORECASE if config.ignore_case else 0
        try:
            self._re = re.compile(config.pattern.encode("utf-8"), flags)
        except re.error as exc:
            raise PolicyConfigError(
                f"rule {config.id}: bad pattern {config.pattern!r}: {exc}", field="pattern"
            ) from exc
        self._config = config

    @property
    def rule_id(self) -> str:
        return self._config.id

    def check(self, request: ForwardRequest, reply_body: bytes) -> Match | None:
        data = _target_bytes(self._config.target, request, reply_body)
        found = self._re.search(data)
        if found is None:
            return None
        return Match(self.rule_id, self._config.target, found.start(), found.end(), found.group(0))


class MaxRequestSize:
    """Matches if the request body is longer than `max_bytes`."""

    def __init__(self, config: SizeRuleConfig) -> None:
        self._config = config

    @property
    def rule_id(self) -> str:
        return self._config.id

    @property
    def max_bytes(self) -> int:
        return self._config.max_bytes

    def check(self, request: ForwardRequest, reply_body: bytes) -> Match | None:
        size = len(request.body)
        if size <= self._config.max_bytes:
            return None
        return Match(self.rule_id, Target.BODY, 0, 0, b"", size=size)


RuleConfig = Annotated[PatternRuleConfig | SizeRuleConfig, Field(discriminator="kind")]


class PolicyConfig(BaseModel):
    """The rule set; publish it with the price schedule so clients know what is penalised."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: tuple[RuleConfig, ...] = ()


def default_policy_config() -> PolicyConfig:
    """Request bodies over 1 MiB; private-key material; the demo's explicit forbidden marker."""
    return PolicyConfig(
        rules=(
            SizeRuleConfig(id="max-request-bytes", max_bytes=1 << 20),
            PatternRuleConfig(
                id="private-key-material", pattern=r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----"
            ),
            PatternRuleConfig(id="demo-forbidden-marker", pattern=r"\bZKC-FORBIDDEN-DEMO\b"),
        )
    )


def build_rules(config: PolicyConfig) -> list[Rule]:
    """Compile a config; size rules run first (they bound what the patterns scan)."""
    ids = [r.id for r in config.rules]
    if len(set(ids)) != len(ids):
        raise PolicyConfigError(f"duplicate rule ids in {ids}", field="rules")
    sizes: list[Rule] = [MaxRequestSize(r) for r in config.rules if isinstance(r, SizeRuleConfig)]
    patterns: list[Rule] = [
        ForbiddenPattern(r) for r in config.rules if isinstance(r, PatternRuleConfig)
    ]
    return sizes + patterns
