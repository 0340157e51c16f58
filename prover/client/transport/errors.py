"""Errors of the client's network transport (PROTOCOL §13)."""

from prover.errors import ZkCreditsError


class TransportError(ZkCreditsError):
    """A request could not be sent or answered over the configured route.

    With a SOCKS proxy configured the message names the proxy: the request was never retried, and
    never sent directly. `sent` is False when no byte of the request can have left the machine
    (no connection, refused CONNECT, a refused target): a paid call's ticket is then still free.
    """

    def __init__(self, message: str, *, sent: bool = True) -> None:
        super().__init__(message)
        self.sent = sent


class TransportConfigError(TransportError):
    """A transport setting is invalid (the message names the setting and its value)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, sent=False)


class ProxyConfigError(TransportConfigError):
    """The configured proxy URL (`ZKCREDITS_SOCKS_PROXY`) is malformed or not allowed."""


class DirectConnectionRefused(TransportError):
    """Something tried to open a TCP connection other than to the configured proxy."""

    def __init__(self, message: str) -> None:
        super().__init__(message, sent=False)
