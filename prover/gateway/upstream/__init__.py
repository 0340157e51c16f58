"""The gateway's upstream side (PROTOCOL §6 steps 4–5): forwarding, work caps, metering.

`HttpUpstream` implements `prover.gateway.ports.Upstream`; `check_request` /
`check_chat_request` are the pure pre-proving checks the pipeline and the client call.
"""

from prover.gateway.upstream.chat import (
    CAP_FIELDS,
    check_chat_request,
    check_embeddings_request,
    check_request,
    wants_stream,
)
from prover.gateway.upstream.cost import reply_cost
from prover.gateway.upstream.errors import RequestRefused, UpstreamConfigError, UpstreamError
from prover.gateway.upstream.http import DEFAULT_MAX_RESPONSE_BYTES, HttpUpstream
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
    "check_chat_request",
    "check_embeddings_request",
    "check_request",
    "count_words",
    "parse_usage",
    "reply_cost",
    "reply_usage",
    "wants_stream",
]
