"""The few contract ABI entries the prover service uses (vault and ERC-8004 Identity Registry).

Compiling the contracts takes ~10 s per process, too slow for a CLI; `chain_abi.json` holds the
subset, and a test checks it entry for entry against the compiled contracts.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

_FILE = Path(__file__).with_name("chain_abi.json")


@lru_cache(maxsize=1)
def _load() -> dict[str, list[dict[str, Any]]]:
    data: dict[str, list[dict[str, Any]]] = json.loads(_FILE.read_text())
    return data


def vault_abi() -> list[dict[str, Any]]:
    """`asset, serviceId, params, deposit, noteOf, latestCheckpoint, requestWithdrawal, …`."""
    return _load()["vault"]


def identity_abi() -> list[dict[str, Any]]:
    """`tokenURI(agentId)` of the ERC-8004 Identity Registry."""
    return _load()["identity"]
