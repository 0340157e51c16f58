"""Deterministic embedding vectors: unit-length float32 vectors from SHA-256 of the input."""

from __future__ import annotations

import base64
import hashlib
import math
import struct

DEFAULT_DIMENSIONS = 32
MAX_DIMENSIONS = 4096


def embed(text: str, model: str, dimensions: int) -> list[float]:
    """A unit vector of `dimensions` float32 values, a function of (model, text) only."""
    seed = hashlib.sha256(
        b"zkcredits/embedded/embed\x00" + model.encode() + b"\x00" + text.encode()
    )
    raw: list[float] = []
    counter = 0
    while len(raw) < dimensions:
        block = hashlib.sha256(seed.digest() + counter.to_bytes(4, "big")).digest()
        counter += 1
        for i in range(0, 32, 4):
            raw.append(int.from_bytes(block[i : i + 4], "big") / 2**31 - 1.0)
    raw = raw[:dimensions]
    norm = math.sqrt(sum(v * v for v in raw)) or 1.0
    # round-trip through float32 so the float and base64 encodings carry the same numbers
    packed = struct.pack(f"<{dimensions}f", *(v / norm for v in raw))
    return list(struct.unpack(f"<{dimensions}f", packed))


def to_base64(vector: list[float]) -> str:
    """OpenAI's `encoding_format: base64`: little-endian float32 bytes, base64."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
