"""The demo's built-in provider terms: a price schedule whose chat routes cost from a few units to
about half of `c_max` depending on the reply length, so the story's calls vary in cost."""

from __future__ import annotations

from prover.pricing.schedule import PriceSchedule

DEMO_SCHEDULE = PriceSchedule.model_validate(
    {
        "quantum": 10,
        "c_max": 1000,
        "routes": [
            {"method": "POST", "path": "/v1/chat/completions", "kind": "chat", "flat": 10,
             "per_1k_input_tokens": 200, "per_1k_output_tokens": 2000, "max_output_tokens": 256},
            {"method": "POST", "path": "/v1/embeddings", "kind": "embeddings", "flat": 10,
             "per_1k_input_tokens": 400},
            {"method": "GET", "path": "/v1/models", "kind": "http", "flat": 10},
        ],
    }
)  # fmt: skip
"""Chat: 10 + 0.2/input token + 2/output token (≤ 256 output tokens); embeddings: 10 + 0.4/token."""
