"""The local prover service: an OpenAI-compatible proxy that pays with the wallet.

`security` (bind address, bearer token, Host and Origin checks), `errors` (OpenAI-shaped error
bodies), `app` (`create_proxy_app`), `ledger` (balance, costs, warnings), `reachability` (fail
fast while the gateway is down), `run` (`server`, `bind_socket`), `settings` (`ZKCREDITS_PROXY_*`).
Names are loaded on first use, so importing `settings` does not bring in the web stack.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prover.client.service.app import CallHandler, create_proxy_app
    from prover.client.service.security import LOOPBACK_HOST, ProxySecurity, check_bind_host

_WHERE = {
    "CallHandler": "prover.client.service.app",
    "create_proxy_app": "prover.client.service.app",
    "LOOPBACK_HOST": "prover.client.service.security",
    "ProxySecurity": "prover.client.service.security",
    "check_bind_host": "prover.client.service.security",
}

__all__ = ["LOOPBACK_HOST", "CallHandler", "ProxySecurity", "check_bind_host", "create_proxy_app"]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
