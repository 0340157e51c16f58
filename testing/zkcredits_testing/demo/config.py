"""The demo's built-in provider terms: a price schedule whose chat routes cost from a few units to
about half of `c_max` depending on the reply length, so the story's calls vary in cost."""

from __future__ import annotations

from prover.gateway.embedded.app import CHAT_MODEL, EMBED_MODEL
from prover.pricing.schedule import PriceSchedule

DEMO_SCHEDULE = PriceSchedule.model_validate(
    {
        "quantum": 10,
        "c_max": 1000,
        "routes": [
            {"method": "POST", "path": "/v1/chat/completions", "kind": "chat",
             "models": {CHAT_MODEL: {"flat": 10, "per_1k_input_tokens": 200,
                                     "per_1k_output_tokens": 2000, "max_output_tokens": 256}}},
            {"method": "POST", "path": "/v1/embeddings", "kind": "embeddings",
             "models": {EMBED_MODEL: {"flat": 10, "per_1k_input_tokens": 100, "dimensions": 32,
                                      "max_dimensions": 1024}}},
            {"method": "GET", "path": "/search", "kind": "http", "flat": 10},
        ],
    }
)  # fmt: skip
"""Chat: 10 + 0.2/input token + 2/output token (≤ 256 output tokens); embeddings: 10 + 0.1/token;
search: 10 flat. `GET /v1/models` is free (served by the gateway from this schedule)."""
