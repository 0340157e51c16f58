"""The gateway's upstream side (PROTOCOL §6 steps 4–5): forwarding, work caps, metering, and the
upstream's configuration (`UpstreamSettings`: base URL, key, headers, timeouts).

`HttpUpstream` implements `prover.gateway.ports.Upstream`; `check_request` is its last re-check
of a work cap before forwarding (the pipeline's rule is `prover.pricing.preflight.check`).
"""

from prover.gateway.upstream.chat import CAP_FIELDS, check_request, wants_stream
from prover.gateway.upstream.cost import reply_cost
from prover.gateway.upstream.errors import RequestRefused, UpstreamConfigError, UpstreamError
from prover.gateway.upstream.http import DEFAULT_MAX_RESPONSE_BYTES, HttpUpstream, provider_failure
from prover.gateway.upstream.tokens import count_words
from prover.gateway.upstream.usage import ChatStreamMeter, parse_usage, reply_usage

__all__ = [
    "CAP_FIELDS",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "ChatStreamMeter",
    "HttpUpstream",
    "RequestRefused",
    "UpstreamConfigError",
    "UpstreamError",
    "check_request",
    "count_words",
    "parse_usage",
    "provider_failure",
    "reply_cost",
    "reply_usage",
    "wants_stream",
]
