"""Settings of the local proxy (`zkcredits client serve`), from `ZKCREDITS_PROXY_*` variables.

Command-line options win over these. The transport's own timeouts (`ZKCREDITS_CONNECT_TIMEOUT_S`,
`ZKCREDITS_REQUEST_TIMEOUT_S`) are in `prover.client.transport.config`.
"""

from __future__ import annotations

from typing import Final

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PROXY_PORT: Final = 8420
"""The proxy's own port: not the gateway's 8402, so both run on one machine by default."""


class ProxySettings(BaseSettings):
    """`ZKCREDITS_PROXY_PORT`, `_PROBE_TIMEOUT_S`, `_SEND_RETRIES`, `_SEND_RETRY_WAIT_S`."""

    model_config = SettingsConfigDict(
        env_prefix="ZKCREDITS_PROXY_", extra="ignore", frozen=True, use_attribute_docstrings=True
    )

    port: int = Field(default=DEFAULT_PROXY_PORT, ge=1, le=65535)
    """The local proxy's port (`--port` wins)."""
    probe_timeout_s: float = Field(default=5.0, gt=0, le=600)
    """How long the reachability check of a gateway that failed may take, before a paid call."""
    send_retries: int = Field(default=3, ge=0, le=10)
    """Resends of a paid request whose reply did not come (same bytes, same ticket)."""
    send_retry_wait_s: float = Field(default=1.0, ge=0, le=60)
    """Wait before resend i is i times this."""
