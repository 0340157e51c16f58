"""The embedded offline upstream: an OpenAI-compatible service for the demo and tests.

In process: `httpx.ASGITransport(app=create_embedded_upstream())`; as a server:
`EmbeddedUpstreamProcess()` or `python -m prover.gateway.embedded --port 0`.
"""

from prover.gateway.embedded.app import CHAT_MODEL, EMBED_MODEL, create_embedded_upstream
from prover.gateway.embedded.errors import EmbeddedServerError
from prover.gateway.embedded.record import DIGEST_HEADER, Received, request_sha256
from prover.gateway.embedded.server import EmbeddedUpstreamProcess, serve

__all__ = [
    "CHAT_MODEL",
    "DIGEST_HEADER",
    "EMBED_MODEL",
    "EmbeddedServerError",
    "EmbeddedUpstreamProcess",
    "Received",
    "create_embedded_upstream",
    "request_sha256",
    "serve",
]
