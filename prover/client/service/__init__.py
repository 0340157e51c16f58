"""The local prover service: an OpenAI-compatible proxy on 127.0.0.1 that pays with the wallet.

`security` (bind address, bearer token, Host and Origin checks), `errors` (OpenAI-shaped error
bodies), `app` (`create_proxy_app`), `run` (`serve` with uvicorn).
"""

from prover.client.service.app import CallHandler, create_proxy_app
from prover.client.service.security import (
    LOOPBACK_HOST,
    ProxySecurity,
    check_bind_host,
)

__all__ = ["LOOPBACK_HOST", "CallHandler", "ProxySecurity", "check_bind_host", "create_proxy_app"]
