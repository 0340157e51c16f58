"""Errors of the client's network transport (PROTOCOL §13)."""

from prover.errors import ZkCreditsError


class TransportError(ZkCreditsError):
    """A request could not be sent or answered over the configured route.

    With a SOCKS proxy configured the message names the proxy: the request was never retried, and
    never sent directly.
    """


class TransportConfigError(TransportError):
    """A transport setting is invalid (the message names the setting and its value)."""


class ProxyConfigError(TransportConfigError):
    """The configured proxy URL (`ZKCREDITS_SOCKS_PROXY`) is malformed or not allowed."""


class DirectConnectionRefused(TransportError):
    """Something tried to open a TCP connection other than to the configured proxy."""
