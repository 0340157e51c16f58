"""`GET /state/{nullifier}` through the private transport (PROTOCOL §9): a `FetchState`.

200 → the stored `PaymentResponse`; 404 → None (never served); anything else (409
`in_progress`, 410, 5xx, unreachable) is an error, so a walk never mistakes "busy" for "unserved".
This walk links a note's tickets for the gateway: an exceptional path (lost wallet state).
"""

from __future__ import annotations

from pydantic import ValidationError

from prover.client.errors import GatewayUnreachableError, InvalidGatewayReplyError
from prover.client.transport.errors import TransportError
from prover.client.transport.private import PrivateTransport
from prover.client.wallet import FetchState
from prover.wire.response import PaymentResponse


def gateway_fetch_state(gateway_url: str, transport: PrivateTransport) -> FetchState:
    base = gateway_url.rstrip("/")

    def fetch(nullifier: int) -> PaymentResponse | None:
        try:
            reply = transport.request(
                "GET", f"{base}/state/{nullifier}", headers={"Accept": "application/json"}
            )
        except TransportError as exc:
            raise GatewayUnreachableError(f"GET /state failed: {exc}") from exc
        if reply.status_code == 404:
            return None
        if reply.status_code != 200:
            raise InvalidGatewayReplyError(
                f"GET /state answered HTTP {reply.status_code}: {reply.text[:200]}",
                field="state",
            )
        try:
            return PaymentResponse.model_validate_json(reply.content)
        except ValidationError as exc:
            raise InvalidGatewayReplyError(f"GET /state reply is malformed: {exc}") from exc

    return fetch
