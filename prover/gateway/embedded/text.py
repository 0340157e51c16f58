"""Deterministic chat replies of the embedded upstream, with honest word-token counts.

Tokenizer: whitespace-separated words (`prover.gateway.upstream.tokens.count_words`); the prompt
is every message's text content, and each reply word is one token. Reply length: the first whole
number in the last user message (at most `MAX_REPLY_WORDS`), else 8–31 words chosen by the prompt's
hash — so a demo makes calls of varying cost by asking for "a reply of 120 words". Words are drawn
from a fixed vocabulary by SHA-256 of the prompt, so the same prompt always gets the same reply.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from prover.gateway.upstream.tokens import content_text

MAX_REPLY_WORDS = 4096
_NUMBER = re.compile(r"(?<![\w.])(\d+)(?![\w.])")
VOCAB: tuple[str, ...] = (
    "anonymous",
    "credit",
    "proof",
    "ledger",
    "note",
    "vault",
    "gateway",
    "circuit",
    "witness",
    "field",
    "curve",
    "point",
    "commitment",
    "nullifier",
    "share",
    "secret",
    "root",
    "leaf",
    "tree",
    "path",
    "hash",
    "signature",
    "key",
    "scalar",
    "epoch",
    "deposit",
    "withdraw",
    "slash",
    "penalty",
    "cost",
    "quantum",
    "schedule",
    "route",
    "token",
    "stream",
    "chunk",
    "reply",
    "request",
    "upstream",
    "server",
    "client",
    "relay",
    "onion",
    "mixnet",
    "window",
    "checkpoint",
    "finality",
    "block",
    "chain",
    "event",
    "receipt",
    "budget",
    "balance",
    "ticket",
    "counter",
    "blinding",
    "randomness",
    "elliptic",
    "pairing",
    "verifier",
)


def prompt_of(messages: Any) -> str:
    """The prompt text: every message's text content, one per line."""
    if not isinstance(messages, list):
        return ""
    return "\n".join(content_text(m.get("content")) for m in messages if isinstance(m, dict))


def last_user_text(messages: Any) -> str:
    if not isinstance(messages, list):
        return ""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return content_text(message.get("content"))
    return ""


def reply_length(messages: Any) -> int:
    """Words the reply wants before any `max_tokens` limit."""
    match = _NUMBER.search(last_user_text(messages))
    if match is not None:
        digits = match.group(1)
        return MAX_REPLY_WORDS if len(digits) > 6 else min(int(digits), MAX_REPLY_WORDS)
    digest = hashlib.sha256(prompt_of(messages).encode()).digest()
    return 8 + digest[0] % 24


def reply_words(messages: Any, count: int) -> list[str]:
    """`count` words derived from the prompt's hash."""
    seed = hashlib.sha256(b"zkcredits/embedded/chat\x00" + prompt_of(messages).encode()).digest()
    words = []
    for i in range(count):
        d = hashlib.sha256(seed + i.to_bytes(4, "big")).digest()
        words.append(VOCAB[int.from_bytes(d[:4], "big") % len(VOCAB)])
    return words
