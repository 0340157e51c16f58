"""What `zkcredits gateway serve` is configured with: `ServeSettings` and the config file.

One format: a JSON object (`--config FILE`) whose keys are the fields of `ServeSettings` (how to
run: deployment bundle, data directory, store, upstream, RPC, ports, finality, timeouts, lease)
and the operator's limits of `GatewaySettings` (body and header limits, unpaid rate, reply-body
retention, …). Every key is also a `ZKCREDITS_GATEWAY_<KEY>` variable and most are options.
Precedence: option > variable > file > default. Relative paths in the file are relative to the
file. The vault's terms never come from here: they come from the bundle (`--deployment`) and are
checked against the vault at start-up. Secrets never come from options: the state key and the
slasher's chain key are files (under the data directory by default).

Every mistake is a `GatewayConfigError` whose one-line message names where the bad value came
from (`--port`, `ZKCREDITS_GATEWAY_PORT`, or `port in FILE`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from prover.gateway.app.config_file import ConfigFileSource, config_file_values
from prover.gateway.app.errors import GatewayConfigError, GatewaySettingError
from prover.gateway.app.settings import GatewaySettings
from prover.gateway.bundle import TERM_FIELDS, GatewayBundle
from prover.settings_types import FinalitySetting, confirmations_of

ENV_PREFIX: Final = "ZKCREDITS_GATEWAY_"
EMBEDDED: Final = "embedded"
DEFAULT_COMPONENTS: Final = "prover.gateway.chain.components:components"
_PATH_FIELDS: Final = ("deployment", "data_dir", "server_key_file", "slasher_key_file")


class ServeSettings(BaseSettings):
    """How to run one gateway process (see the module docstring for sources and precedence)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="forbid", frozen=True, use_attribute_docstrings=True
    )

    deployment: Path | None = None
    """The gateway bundle (`deployments/<chainId>.gateway.json`) or the deployment file."""
    data_dir: Path | None = None
    """All state and default key files (default `$XDG_DATA_HOME/zkcredits/gateway`)."""
    store: str | None = None
    """`postgresql://…` for replicas; default: SQLite in the deployment's data directory."""
    upstream: str | None = None
    """The API's base URL, or `embedded` (the offline demo upstream). No default."""
    rpc_url: str | None = None
    """Chain RPC (default: the bundle's hint)."""
    server_key_file: Path | None = None
    """The gateway's EdDSA state key file (default `server.key` in the data directory; 0600)."""
    slasher_key_file: Path | None = None
    """The slasher's chain key file (default `slasher.key` in the data directory; 0600)."""
    host: str = "127.0.0.1"
    """Address the paid API listens on."""
    port: int = Field(default=8402, ge=0, le=65535)
    """Port the paid API listens on (0: any free port)."""
    metrics_host: str = "127.0.0.1"
    """Address of the Prometheus `/metrics` listener."""
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    """Prometheus `/metrics` on its own listener; none unless set."""
    finality: FinalitySetting = "auto"
    """`auto` (0 confirmations on 31337/1337, the node's `finalized` tag elsewhere),
    `finalized`, or a number of confirmations."""
    rpc_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    """Timeout of one chain RPC call."""
    chain_poll_seconds: float = Field(default=2.0, gt=0, le=600)
    """How often the chain mirror syncs new final blocks."""
    chain_max_staleness_seconds: float = Field(default=60.0, gt=0, le=86_400)
    """How old the last sync may be before the gateway stops serving paid calls (`/healthz`
    unsynced)."""
    upstream_probe_seconds: float = Field(default=10.0, ge=0, le=3600)
    """How often the upstream's reachability is probed (0: never)."""
    upstream_probe_timeout_seconds: float = Field(default=3.0, gt=0, le=60)
    """Timeout of one upstream reachability probe."""
    slasher_lease_seconds: float = Field(default=30.0, ge=2, le=3600)
    """Lease of the one replica that slashes (replicas on PostgreSQL)."""
    components: str = DEFAULT_COMPONENTS
    """`module:function` building the gateway's chain components (tests swap it)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, ConfigFileSource(settings_cls))

    @field_validator("upstream")
    @classmethod
    def _upstream(cls, value: str | None) -> str | None:
        if value is None or value == EMBEDDED or value.startswith(("http://", "https://")):
            return value
        raise ValueError("must be an http(s):// base URL or 'embedded'")

    @field_validator("rpc_url")
    @classmethod
    def _rpc(cls, value: str | None) -> str | None:
        if value is None or value.startswith(("http://", "https://")):
            return value
        raise ValueError("must be an http(s):// URL")

    @field_validator("store")
    @classmethod
    def _store(cls, value: str | None) -> str | None:
        if value is None or "dbname=" in value:
            return value
        if value.startswith(("postgresql://", "postgres://")):
            return value
        if value.startswith("sqlite:///") or ("://" not in value and Path(value).is_absolute()):
            return value
        raise ValueError("must be sqlite:///ABSOLUTE/PATH, an absolute path or postgresql://…")

    @field_validator("components")
    @classmethod
    def _components(cls, value: str) -> str:
        module, _, attr = value.partition(":")
        if not module or not attr:
            raise ValueError("must be module:function")
        return value

    def confirmations(self, chain_id: int) -> int | None:
        """Confirmations to wait, or None for the node's `finalized` tag (`confirmations_of`)."""
        return confirmations_of(self.finality, chain_id)


def operator_fields() -> frozenset[str]:
    """`GatewaySettings` fields the operator sets (the others are the bundle's terms)."""
    return frozenset(set(GatewaySettings.model_fields) - TERM_FIELDS)


def read_config_file(path: Path | None) -> dict[str, Any]:
    """The JSON object of `--config` (unknown keys refused, relative paths resolved)."""
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise GatewayConfigError(f"config: no file at {path}", field="config") from exc
    except OSError as exc:
        raise GatewayConfigError(
            f"config: cannot read {path}: {exc.strerror}", field="config"
        ) from exc
    except ValueError as exc:
        raise GatewayConfigError(f"config: {path} is not JSON ({exc})", field="config") from exc
    if not isinstance(data, dict):
        raise GatewayConfigError(f"config: {path} must hold a JSON object", field="config")
    known = set(ServeSettings.model_fields) | operator_fields()
    for key in data:
        if key not in known:
            raise GatewayConfigError(
                f"config: unknown setting {key!r} in {path} (known: {', '.join(sorted(known))})",
                field=key,
            )
    base = path.resolve().parent
    for key in _PATH_FIELDS:
        if isinstance(data.get(key), str) and not Path(data[key]).expanduser().is_absolute():
            data[key] = str(base / data[key])
    return data


def _where(field: str, cli: Mapping[str, Any], config: Path | None, file: Mapping[str, Any]) -> str:
    if field in cli:
        return "--" + field.replace("_", "-")
    env = ENV_PREFIX + field.upper()
    if any(name.upper() == env for name in os.environ):
        return env
    if field in file:
        return f"{field} in {config}"
    return field


def _one_line(
    exc: ValidationError, cli: Mapping[str, Any], config: Path | None, file: Mapping[str, Any]
) -> GatewayConfigError:
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else "config"
    where = _where(field, cli, config, file)
    message = str(error["msg"]).removeprefix("Value error, ")
    given = error.get("input")
    shown = "" if isinstance(given, dict) or given is None else f" (got {given!r})"
    if where == ENV_PREFIX + field.upper():  # a malformed variable: a bad setting (exit 2)
        return GatewaySettingError(f"{where}: {message}{shown}", variable=where, field=field)
    return GatewayConfigError(f"{where}: {message}{shown}", field=field)


def load_serve_settings(cli: Mapping[str, Any], config: Path | None) -> ServeSettings:
    """Options given on the command line (`cli`, None values dropped), the environment and the
    config file, merged; every mistake is one `GatewayConfigError` line naming its source."""
    given = {k: v for k, v in cli.items() if v is not None}
    file = read_config_file(config)
    try:
        with config_file_values(file):
            settings = ServeSettings(**given)
    except ValidationError as exc:
        raise _one_line(exc, given, config, file) from exc
    if settings.deployment is None:
        raise GatewayConfigError(
            "deployment: required: --deployment FILE (the gateway bundle `zkcredits deploy run` "
            f"writes), {ENV_PREFIX}DEPLOYMENT or `deployment` in the config file",
            field="deployment",
        )
    return settings


def gateway_settings(bundle: GatewayBundle, config: Path | None) -> GatewaySettings:
    """The app's settings: the bundle's terms, the operator's limits (environment, file)."""
    file = {k: v for k, v in read_config_file(config).items() if k in operator_fields()}
    try:
        with config_file_values(file):
            settings = GatewaySettings(**bundle.terms())
        settings.check()
    except ValidationError as exc:
        raise _one_line(exc, {}, config, file) from exc
    return settings
