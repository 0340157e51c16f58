"""Errors raised on purpose by the gateway's upstream side; all derive from `UpstreamError`."""

from __future__ import annotations

from prover.errors import ZkCreditsError


class UpstreamError(ZkCreditsError):
    """Root of every upstream-side error. `field` names the offending input when there is one."""


class RequestRefused(UpstreamError):
    """A request the gateway must refuse before any proving is spent (wire code `bad_request`)."""


class UpstreamConfigError(UpstreamError):
    """An `HttpUpstream` was configured with an unusable value (URL, limit, header)."""
