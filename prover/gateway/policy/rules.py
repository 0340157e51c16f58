"""Policy rules: pure checks over a forwarded request (and its reply) that report a match.

A rule returns a `Match` naming where it matched; the raw matched bytes stay inside the gateway
process (only their hash goes into public evidence, see `evidence.py`). Patterns are regular
expressions over the UTF-8 bytes of what the upstream will *read*, not of how it was spelled:

- a JSON body: its decoded canonical text (`prover.pricing.request_json.canonical_text`: escapes
  resolved, every string NFKC-normalised, sorted keys, compact), so `\u0041` or a full-width
  `Ａ` cannot hide a marker the upstream sees as `A`; a body that is not JSON: its UTF-8 text,
  NFKC-normalised (raw bytes if it is not UTF-8);
- the path: percent-decoded (the query's `+` as a space) and NFKC-normalised;
- a reply: its raw bytes.

Evidence spans are offsets into that text. Patterns are the operator's, not the caller's; a
backtracking pattern could still be slow on hostile input, so size rules run first (on the raw
body): a body past the limit is never scanned.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Literal, Protocol
from urllib.parse import unquote, unquote_plus

from pydantic import BaseModel, ConfigDict, Field

from prover.crypto.rln import keccak256
from prover.gateway.policy.errors import PolicyConfigError
from prover.gateway.ports import ForwardRequest
from prover.pricing.errors import PreflightRefused
from prover.pricing.request_json import canonical_text, parse_strict

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


def _nfkc(text: str) -> bytes:
    return unicodedata.normalize("NFKC", text).encode("utf-8", errors="surrogatepass")


@functools.lru_cache(maxsize=16)
def judged_body(body: bytes) -> bytes:
    """What body rules read: the decoded canonical JSON text, else NFKC text, else raw bytes."""
    try:
        return canonical_text(parse_strict(body)).encode("utf-8", errors="surrogatepass")
    except PreflightRefused:
        pass
    try:
        return _nfkc(body.decode("utf-8"))
    except UnicodeDecodeError:
        return body


def judged_path(path: str) -> bytes:
    """What path rules read: percent-decoded (query `+` as space), NFKC-normalised."""
    bare, sep, query = path.partition("?")
    decoded = unquote(bare, errors="surrogateescape") + sep + unquote_plus(query)
    return _nfkc(decoded)


def _target_bytes(target: Target, request: ForwardRequest, reply_body: bytes) -> bytes:
    if target is Target.PATH:
        return judged_path(request.path)
    if target is Target.BODY:
        return judged_body(request.body)
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

    def canonical_json(self) -> bytes:
        """Sorted keys, no spaces: the bytes the policy hash is taken over."""
        import json

        return json.dumps(
            self.model_dump(mode="json"), sort_keys=True, separators=(",", ":")
        ).encode()

    def policy_hash(self) -> bytes:
        """keccak256 of `canonical_json()`: published in the registration file (`policy_hash`)
        so a client sees the rules it pays under."""
        return keccak256(self.canonical_json())


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
