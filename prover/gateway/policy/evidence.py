"""Public penalty evidence: what was matched, by which rule, in which request — as hashes only.

    evidence = canonical JSON (sorted keys, no spaces, ASCII) of
      {"v": 1, "rule": id, "penalty": "<decimal>", "digest_kind": "h" | "forwarded",
       "request_digest": "0x<32 B>", "target": "path" | "body" | "reply",
       "span": {"start": i, "end": j, "hash": "0x<32 B>"} | null, "size": n | null}
    evidence_hash = keccak256(evidence)

`request_digest` is the request's D5 digest `h` (32 B big-endian) when the pipeline passes it
(`digest_kind: "h"`), else `forwarded_digest` of the forwarded method/path/body. The span hash is
`keccak256("zkcredits/policy/span/v1" ‖ request_digest ‖ u32be(start) ‖ u32be(end) ‖ span)`.

Raw content is never part of the evidence: the evidence hash travels in PAYMENT-RESPONSE and the
evidence sits in the public penalty log, so raw bytes would publish the caller's prompt (ending
its anonymity) and republish the forbidden material itself. Hashes let whoever holds the request
(the caller, or an arbiter the caller shows it to) check the claim byte for byte. With `h` the
digest covers the 128-bit random request id, so nobody can confirm a guessed prompt from the log;
the `forwarded` fallback lacks that salt — the pipeline should pass `h`.
"""

from __future__ import annotations

import json

from prover.crypto.rln import keccak256
from prover.gateway.policy.rules import Match
from prover.gateway.ports import ForwardRequest

EVIDENCE_VERSION = 1
ZERO_HASH = bytes(32)
_FORWARDED_DOMAIN = b"zkcredits/policy/forwarded/v1"
_SPAN_DOMAIN = b"zkcredits/policy/span/v1"


def _framed(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def forwarded_digest(request: ForwardRequest) -> bytes:
    """keccak256(domain ‖ u32be-framed method ‖ path ‖ body) of the forwarded bytes."""
    return keccak256(
        _FORWARDED_DOMAIN
        + _framed(request.method.encode("ascii", errors="replace"))
        + _framed(request.path.encode("utf-8", errors="surrogateescape"))
        + _framed(request.body)
    )


def span_hash(request_digest: bytes, match: Match) -> bytes:
    return keccak256(
        _SPAN_DOMAIN
        + request_digest
        + match.start.to_bytes(4, "big")
        + match.end.to_bytes(4, "big")
        + match.span
    )


def canonical(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def build_evidence(
    match: Match, penalty: int, request: ForwardRequest, h: int | None = None
) -> bytes:
    """The canonical evidence bytes of one penalty (see the module docstring)."""
    digest = h.to_bytes(32, "big") if h is not None else forwarded_digest(request)
    span = None
    if match.size is None:
        span = {
            "start": match.start,
            "end": match.end,
            "hash": "0x" + span_hash(digest, match).hex(),
        }
    return canonical(
        {
            "v": EVIDENCE_VERSION,
            "rule": match.rule_id,
            "penalty": str(penalty),
            "digest_kind": "h" if h is not None else "forwarded",
            "request_digest": "0x" + digest.hex(),
            "target": match.target.value,
            "span": span,
            "size": match.size,
        }
    )


def evidence_hash(evidence: bytes) -> bytes:
    return keccak256(evidence)
