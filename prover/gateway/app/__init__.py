"""The provider's verifying gateway HTTP service (PROTOCOL §6, §9): `create_app(...)`.

`settings` (pydantic-settings), `factory` (routes), `guard` (ASGI layer), `pipeline` (§6 steps
1–3), `serve` (steps 4–5, streaming), `signer` (next states), `checks` (public inputs),
`ratelimit`, `body_cache` (reply bodies), `health` (`/healthz`, upstream probe), `metrics` and
`metered` (Prometheus), `wiring` (what `gateway serve` plugs in), `config_file`.
"""

from prover.gateway.app.doublespend import DoubleSpendEvidence, DoubleSpendSink
from prover.gateway.app.errors import GatewayAppError, GatewayConfigError
from prover.gateway.app.factory import create_app
from prover.gateway.app.responses import SSE_PAYMENT_EVENT
from prover.gateway.app.settings import GatewaySettings
from prover.gateway.app.signer import StateSigner
from prover.gateway.app.verify import VerifyFn, verifier_from_keys

__all__ = [
    "SSE_PAYMENT_EVENT",
    "DoubleSpendEvidence",
    "DoubleSpendSink",
    "GatewayAppError",
    "GatewayConfigError",
    "GatewaySettings",
    "StateSigner",
    "VerifyFn",
    "create_app",
    "verifier_from_keys",
]
