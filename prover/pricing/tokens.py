"""The real offline tokenizer (`bpe-openai`, o200k_base): counts tokens of text the upstream
did not report usage for. Loaded once, on first use (~0.1 s); encoding is thread-safe."""

from __future__ import annotations

import threading
from typing import Any

ENCODING = "o200k_base"
_lock = threading.Lock()
_encoding: Any = None


def _get() -> Any:
    global _encoding
    if _encoding is None:
        with _lock:
            if _encoding is None:
                import bpe_openai

                _encoding = bpe_openai.get_encoding(ENCODING)
    return _encoding


def count_tokens(text: str) -> int:
    """o200k_base tokens of `text` (special-token strings count as ordinary text)."""
    if not text:
        return 0
    return len(_get().encode_ordinary(text))
