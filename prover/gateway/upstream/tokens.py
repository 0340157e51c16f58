"""The counting tokenizer: whitespace-separated words.

Used where the upstream reports no usage (and by the embedded upstream, which reports honest
counts by this same rule). It is a documented approximation, not a BPE: a word of an OpenAI-style
stream chunk is usually one token, so `max(1, words)` per non-empty chunk is a fair lower bound.
"""

from __future__ import annotations

from typing import Any


def count_words(text: str) -> int:
    """Number of whitespace-separated words in `text`."""
    return len(text.split())


def content_text(content: Any) -> str:
    """The text of a message `content`: a string, or a list of `{type: text, text}` parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [
            p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
        ]
        return " ".join(parts)
    return ""


def prompt_words(messages: Any) -> int:
    """Words in every message's content (the prompt estimate when no usage is reported)."""
    if not isinstance(messages, list):
        return 0
    return sum(count_words(content_text(m.get("content"))) for m in messages if isinstance(m, dict))


def input_words(value: Any) -> int:
    """Words of an embeddings `input`: a string or a list of strings (token arrays count items)."""
    if isinstance(value, str):
        return count_words(value)
    if isinstance(value, list):
        total = 0
        for item in value:
            if isinstance(item, str):
                total += count_words(item)
            elif isinstance(item, int) and not isinstance(item, bool):
                total += 1
            elif isinstance(item, list):
                total += sum(1 for t in item if isinstance(t, int) and not isinstance(t, bool))
        return total
    return 0
