"""The gateway's config file as the lowest-priority settings source (below the environment).

Precedence for every gateway setting: command-line option > `ZKCREDITS_GATEWAY_*` variable >
`--config` JSON file > default. `pydantic-settings` ranks init arguments above the environment, so
the file cannot be passed as init arguments; instead `config_file_values(values)` makes the file's
values visible, for the duration of a `with` block, to `ConfigFileSource`, which the gateway's
settings classes list after the environment in `settings_customise_sources`. Outside such a block
the source is empty.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import PydanticBaseSettingsSource

_VALUES: ContextVar[Mapping[str, Any] | None] = ContextVar(
    "zkcredits_gateway_config_file", default=None
)


class ConfigFileSource(PydanticBaseSettingsSource):
    """The config file's values for this settings class's fields (nothing outside a block)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return (_VALUES.get() or {}).get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        values = _VALUES.get() or {}
        return {name: values[name] for name in self.settings_cls.model_fields if name in values}


@contextmanager
def config_file_values(values: Mapping[str, Any]) -> Iterator[None]:
    """Within the block, settings classes read `values` below their environment variables."""
    token = _VALUES.set(dict(values))
    try:
        yield
    finally:
        _VALUES.reset(token)
