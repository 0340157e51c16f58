"""Errors of the embedded test upstream; all derive from `UpstreamError`."""

from __future__ import annotations

from prover.gateway.upstream.errors import UpstreamError


class EmbeddedServerError(UpstreamError):
    """The embedded upstream process did not start (its stderr is in the message)."""
