"""`UpstreamSettings`: where the gateway forwards paid calls, and with which credentials.

pydantic-settings, env prefix `ZKCREDITS_UPSTREAM_`. Secrets come from the environment or from a
file, never from a command-line argument, and are never logged (`SecretStr`; the headers built
from them are not part of any log record):

| variable | meaning |
|---|---|
| `ZKCREDITS_UPSTREAM_BASE_URL` | `http(s)://host[:port][/prefix]` or `embedded`; no default |
| `ZKCREDITS_UPSTREAM_API_KEY` / `_API_KEY_FILE` | sent as `Authorization: Bearer <key>` |
| `ZKCREDITS_UPSTREAM_HEADERS` / `_HEADERS_FILE` | a JSON object of extra headers |
| `ZKCREDITS_UPSTREAM_CONNECT_TIMEOUT_S` | connect timeout (default 10) |
| `ZKCREDITS_UPSTREAM_READ_TIMEOUT_S` | longest wait for the next bytes (default 60) |
| `ZKCREDITS_UPSTREAM_TOTAL_TIMEOUT_S` | a whole plain call; a stream up to its headers (120) |
| `ZKCREDITS_UPSTREAM_MAX_STREAM_S` | whole streamed reply (default 600) |
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from prover.gateway.upstream.errors import UpstreamConfigError
from prover.gateway.upstream.headers import configured_headers
from prover.gateway.upstream.http import HttpUpstream
from prover.plumbing.errors import SecretFileError
from prover.plumbing.secret_file import read_secret_text

EMBEDDED = "embedded"


def _read_secret_file(path: Path, what: str) -> str:
    try:
        return read_secret_text(path, allow_empty=True)
    except SecretFileError as exc:
        raise UpstreamConfigError(f"the {what} file: {exc}", field=what) from None


class UpstreamSettings(BaseSettings):
    """The upstream's base URL, key, extra headers and timeouts (see the module docstring)."""

    model_config = SettingsConfigDict(
        env_prefix="ZKCREDITS_UPSTREAM_", extra="forbid", frozen=True, use_attribute_docstrings=True
    )

    base_url: str | None = None  # no default upstream: `embedded` only when named
    """The upstream API: `http(s)://host[:port][/prefix]` or `embedded` (`--upstream` wins; no
    default)."""
    api_key: SecretStr | None = Field(default=None, repr=False)
    """The upstream's key, sent as `Authorization: Bearer` (never logged)."""
    api_key_file: Path | None = None
    """File holding the upstream's key (instead of the variable)."""
    headers: SecretStr | None = Field(default=None, repr=False)  # JSON object
    """A JSON object of extra headers sent upstream (never logged)."""
    headers_file: Path | None = None
    """File holding those headers (instead of the variable)."""
    connect_timeout_s: float = Field(default=10.0, gt=0, le=600)
    """Connect timeout to the upstream."""
    read_timeout_s: float = Field(default=60.0, gt=0, le=3600)
    """Longest wait for the upstream's next bytes."""
    total_timeout_s: float = Field(default=120.0, gt=0, le=3600)
    """A whole plain call; a stream up to its headers."""
    max_stream_s: float = Field(default=600.0, gt=0, le=86_400)
    """A whole streamed reply."""

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None or value == EMBEDDED:
            return value
        try:
            url = httpx.URL(value)
        except httpx.InvalidURL as exc:
            raise ValueError("base_url is not a URL") from exc
        if url.scheme not in ("http", "https") or not url.host or url.query or url.fragment:
            raise ValueError("base_url must be http(s)://host[:port][/prefix]")
        if url.userinfo:
            raise ValueError("base_url may not carry credentials: use the API key setting")
        return value

    @model_validator(mode="after")
    def _one_source_each(self) -> UpstreamSettings:
        if self.api_key is not None and self.api_key_file is not None:
            raise ValueError("set the upstream API key or its file, not both")
        if self.headers is not None and self.headers_file is not None:
            raise ValueError("set the upstream headers or their file, not both")
        return self

    def key(self) -> str | None:
        if self.api_key_file is not None:
            return _read_secret_file(self.api_key_file, "api_key_file") or None
        return self.api_key.get_secret_value() if self.api_key is not None else None

    def extra_headers(self) -> dict[str, str]:
        """Every header the gateway adds upstream (validated; `Authorization` from the key)."""
        text = None
        if self.headers_file is not None:
            text = _read_secret_file(self.headers_file, "headers_file")
        elif self.headers is not None:
            text = self.headers.get_secret_value()
        parsed: Any = {}
        if text:
            try:
                parsed = json.loads(text)
            except ValueError:
                raise UpstreamConfigError(
                    "upstream headers must be a JSON object", field="headers"
                ) from None
        if not isinstance(parsed, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in parsed.items()
        ):
            raise UpstreamConfigError(
                "upstream headers must be a JSON object of strings", field="headers"
            )
        key = self.key()
        if key is not None:
            if any(k.lower() == "authorization" for k in parsed):
                raise UpstreamConfigError(
                    "set Authorization through the API key, not the headers", field="headers"
                )
            parsed["Authorization"] = f"Bearer {key}"
        return configured_headers(parsed)

    def build(self, *, max_response_bytes: int) -> HttpUpstream:
        """The configured `HttpUpstream` (the embedded offline upstream, in process, if so set)."""
        transport: httpx.AsyncBaseTransport | None = None
        base_url = self.base_url
        if base_url is None:
            raise UpstreamConfigError(
                "no upstream configured: set ZKCREDITS_UPSTREAM_BASE_URL (or `embedded`)",
                field="base_url",
            )
        if base_url == EMBEDDED:
            from prover.gateway.embedded import create_embedded_upstream

            transport = httpx.ASGITransport(app=create_embedded_upstream())
            base_url = "http://embedded.invalid"
        return HttpUpstream(
            base_url,
            timeout=self.total_timeout_s,
            connect_timeout=self.connect_timeout_s,
            read_timeout=self.read_timeout_s,
            max_stream_seconds=self.max_stream_s,
            max_response_bytes=max_response_bytes,
            headers=self.extra_headers(),
            transport=transport,
        )
