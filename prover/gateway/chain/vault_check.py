"""The start-up check: the gateway runs only with exactly the terms its vault pins.

A gateway whose settings differ from its vault would start "ok" and then fail every client call
(a client checks every term against the vault before paying), or sign states no client accepts.
So before serving, `check_against_vault` reads the vault and compares the chain id, the vault's
code and `service_id`, its asset and `unit`, `server_pk` (from the state-signing key), `c_max`,
`reserve`, `penalty_max`, the price schedule hash, the withdraw and slash vk hashes (the bundle's
and those of the local slash keys the slasher proves with), the request vk hash of the local keys
against the bundle's, and `root_epoch`/`root_ttl`. Every difference is named in one line.
"""

from __future__ import annotations

from dataclasses import dataclass

from web3 import Web3

from prover.chain.vault import CreditVaultClient
from prover.chain.vault_params import VaultParams
from prover.crypto.babyjub import Point
from prover.gateway.app.settings import GatewaySettings
from prover.gateway.chain.errors import VaultMismatchError, VaultUnreachableError


@dataclass(frozen=True)
class LocalKeys:
    """vk hashes of the keys this gateway loads (from their manifests), `0x…` hex."""

    request: str | None = None
    slash: str | None = None


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 18 else f"{text[:10]}…{text[-6:]}"


def _hex(value: bytes | str) -> str:
    return ("0x" + value.hex() if isinstance(value, bytes) else value).lower()


def _read_vault(w3: Web3, settings: GatewaySettings) -> tuple[int, VaultParams, int, str]:
    try:
        chain_id = int(w3.eth.chain_id)
    except Exception as exc:  # web3 raises transport- and RPC-specific types
        raise VaultUnreachableError(
            f"rpc_url: no Ethereum node answers: {type(exc).__name__}", field="rpc_url"
        ) from exc
    if chain_id != settings.chain_id:
        raise VaultMismatchError(
            f"chain_id: the RPC serves chain {chain_id}, the deployment is on chain "
            f"{settings.chain_id}",
            field="chain_id",
        )
    vault = Web3.to_checksum_address(settings.vault)
    try:
        code = bytes(w3.eth.get_code(vault))
        if not code:
            raise VaultUnreachableError(
                f"vault: no contract at {vault} on chain {chain_id}", field="vault"
            )
        client = CreditVaultClient(w3, vault)
        return chain_id, client.params(), client.service_id(), client.asset()
    except VaultUnreachableError:
        raise
    except Exception as exc:  # a revert or an undecodable answer: not a CreditVault
        raise VaultUnreachableError(
            f"vault: {vault} on chain {chain_id} does not answer as a CreditVault "
            f"({type(exc).__name__})",
            field="vault",
        ) from exc


def _shown(value: object) -> object:
    """A point is shown by its x coordinate."""
    if isinstance(value, tuple) and len(value) == 2:
        return value[0]
    return value


def check_against_vault(
    w3: Web3, settings: GatewaySettings, server_pk: Point, keys: LocalKeys | None = None
) -> VaultParams:
    """Raise `VaultMismatchError` naming every difference; returns the vault's parameters."""
    chain_id, p, service_id, asset = _read_vault(w3, settings)
    keys = keys or LocalKeys()
    vault_asset = "native" if int(asset, 16) == 0 else asset.lower()
    pairs: list[tuple[str, object, object]] = [
        ("service_id", service_id, settings.service_id),
        ("asset", vault_asset, settings.asset.lower()),
        ("unit", p.unit, settings.unit),
        ("server_pk", (p.server_pk_x, p.server_pk_y), (server_pk.x, server_pk.y)),
        ("c_max", p.c_max, settings.c_max),
        ("reserve", p.reserve, settings.reserve),
        ("penalty_max", p.penalty_max, settings.penalty_max),
        (
            "price_schedule_hash",
            p.price_schedule_hash.lower(),
            _hex(settings.price_schedule.schedule_hash()),
        ),
        ("vk_hashes.withdraw", p.withdraw_vk_hash.lower(), _hex(settings.vk_hashes.withdraw)),
        ("vk_hashes.slash", p.slash_vk_hash.lower(), _hex(settings.vk_hashes.slash)),
        ("root_epoch", p.root_epoch, settings.root_epoch),
        ("root_ttl", p.root_ttl, settings.root_ttl),
    ]
    if keys.slash is not None:
        pairs.append(("slash keys", p.slash_vk_hash.lower(), keys.slash.lower()))
    diffs = [
        f"{name} (vault {_short(_shown(vault_v))}, gateway {_short(_shown(ours))})"
        for name, vault_v, ours in pairs
        if vault_v != ours
    ]
    if keys.request is not None and keys.request.lower() != _hex(settings.vk_hashes.request):
        diffs.append(
            f"request keys (deployment {_short(_hex(settings.vk_hashes.request))}, "
            f"local keys {_short(keys.request.lower())})"
        )
    if diffs:
        first = diffs[0].split(" (", 1)[0]
        raise VaultMismatchError(
            f"the gateway differs from vault {settings.vault} on chain {chain_id}: "
            + "; ".join(diffs),
            field=first,
        )
    return p
