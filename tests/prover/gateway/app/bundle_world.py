"""A gateway bundle for the in-test vault world (`gateway_world`): the terms of its settings,
with placeholder verifier and treasury addresses (no chain: used with `cli_components`)."""

from __future__ import annotations

from gateway_world import SERVER_SK, settings

from prover.chain.registration import RegisteredParams
from prover.crypto import public_key
from prover.gateway.app.settings import GatewaySettings
from prover.gateway.bundle import GatewayBundle


def bundle_for(s: GatewaySettings | None = None) -> GatewayBundle:
    s = s or settings()
    pk = public_key(SERVER_SK)
    params = RegisteredParams(
        unit=s.unit, c_max=s.c_max, penalty_max=s.penalty_max, reserve=s.reserve,
        min_deposit=s.c_max + s.reserve, note_ttl_days=30, exit_grace_days=7,
        exit_delay=2 * 86_400, root_epoch=s.root_epoch, root_ttl=s.root_ttl,
        server_pk=(pk.x, pk.y), price_schedule_hash=s.price_schedule.schedule_hash(),
        treasury="0x" + "11" * 20, withdraw_verifier="0x" + "22" * 20,
        slash_verifier="0x" + "33" * 20, withdraw_vk_hash=s.vk_hashes.withdraw,
        slash_vk_hash=s.vk_hashes.slash, max_depth=20,
    )  # fmt: skip
    return GatewayBundle(
        chain_id=s.chain_id, vault=s.vault, vault_contract="EthCreditVault", asset=s.asset,
        service_id=s.service_id, start_block=0, setup="dev-single-party", params=params,
        price_schedule=s.price_schedule, vk_hashes=s.vk_hashes,
    )  # fmt: skip
