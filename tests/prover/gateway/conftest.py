"""Fixtures shared by the gateway's configuration tests: a valid gateway bundle on disk (terms of
a vault that exists nowhere: these tests stop before any chain is contacted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from prover.chain.registration import RegisteredParams
from prover.crypto.eddsa import public_key
from prover.crypto.rln import service_id
from prover.gateway.bundle import GatewayBundle
from prover.pricing.schedule import PriceSchedule
from prover.wire.required import VkHashes

BUNDLE_SECRET = 0x0BADC0FFEE0DDF00D
BUNDLE_VAULT = "0x" + "ab" * 20


def make_bundle(**params: object) -> GatewayBundle:
    pk = public_key(BUNDLE_SECRET)
    route = {"method": "POST", "path": "/v1/embeddings", "kind": "embeddings"}
    schedule = PriceSchedule.model_validate(
        {
            "quantum": 10,
            "c_max": 1000,
            "routes": [
                {
                    **route,
                    "models": {
                        "m": {"per_1k_input_tokens": 2, "dimensions": 8, "max_dimensions": 8}
                    },
                }
            ],
        }
    )
    hashes = VkHashes(request=b"\x01" * 32, withdraw=b"\x02" * 32, slash=b"\x03" * 32)
    values: dict[str, object] = {
        "unit": 10**9, "c_max": 1000, "penalty_max": 5000, "reserve": 5000,
        "min_deposit": 10_000, "note_ttl_days": 30, "exit_grace_days": 7,
        "exit_delay": 172_800, "root_epoch": 600, "root_ttl": 3600,
        "server_pk": (pk.x, pk.y), "price_schedule_hash": schedule.schedule_hash(),
        "treasury": "0x" + "11" * 20, "withdraw_verifier": "0x" + "22" * 20,
        "slash_verifier": "0x" + "33" * 20, "withdraw_vk_hash": hashes.withdraw,
        "slash_vk_hash": hashes.slash, "max_depth": 20,
    }  # fmt: skip
    values.update(params)
    return GatewayBundle(
        chain_id=31337, vault=BUNDLE_VAULT, vault_contract="EthCreditVault", asset="native",
        service_id=service_id(31337, BUNDLE_VAULT), start_block=7, setup="dev-single-party",
        params=RegisteredParams.model_validate(values), price_schedule=schedule,
        vk_hashes=hashes,
    )  # fmt: skip


@pytest.fixture
def bundle_file(tmp_path: Path) -> Path:
    path = tmp_path / "31337.gateway.json"
    path.write_text(make_bundle().model_dump_json(indent=2))
    return path
