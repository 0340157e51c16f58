"""The root of every error the `prover` package raises on purpose.

Each subpackage has one `errors.py` whose root derives from `ZkCreditsError`. `field` names the
input at fault (a setting, a header, a JSON field, a file) when there is one, so the CLI, the
proxy and the gateway can point at it without parsing the message.
"""

from __future__ import annotations


class ZkCreditsError(Exception):
    """Base class: callers catch this to handle any zkcredits failure."""

    field: str | None = None

    def __init__(self, *args: object, field: str | None = None) -> None:
        super().__init__(*args)
        if field is not None:
            self.field = field


class SettingsValueError(ZkCreditsError):
    """A setting holds a malformed value; `variable` names where it came from."""

    code = "bad_setting"

    def __init__(self, message: str, *, variable: str, field: str) -> None:
        super().__init__(message)
        self.variable = variable
        self.field: str | None = field


class LogConfigError(SettingsValueError):
    """A logging setting is invalid (`field` names it: `format` or `level`); a bad setting, so
    exit status 2 on the command line."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message, variable=f"ZKCREDITS_LOG_{field.upper()}", field=field)
