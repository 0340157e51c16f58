"""`GET /v1/models`: the models the price schedule sells, in OpenAI's list shape. The gateway
answers it itself, free and unpaid (it costs the upstream nothing and names what is for sale)."""

from __future__ import annotations

from typing import Any

from prover.pricing.schedule import PriceSchedule

OWNER = "zkcredits"


def model_entry(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 0, "owned_by": OWNER}


def models_list(schedule: PriceSchedule) -> dict[str, Any]:
    return {"object": "list", "data": [model_entry(name) for name in schedule.models()]}
