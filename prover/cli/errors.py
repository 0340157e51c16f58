"""One exit-code convention and one error line for every `zkcredits` command group.

- 0 (`EXIT_OK`): the command did what it was asked.
- 1 (`EXIT_DOMAIN`): a deliberate, named refusal or failure (`ZkCreditsError`), or work left
  undone that the command names (e.g. `client recover` with tickets still pending).
- 2 (`EXIT_USAGE`): the command line itself is wrong (unknown option, missing or malformed
  argument): click/typer's usage errors; and a setting with a malformed value
  (`prover.settings_types.SettingsValueError`, naming its `ZKCREDITS_*` variable).

A command wraps its body in `domain_errors(as_json)`: a `ZkCreditsError` becomes one line on stderr
(`error: …`), or one JSON object `{"error": {type, code, message, field}}` on stdout with `--json`,
and exit status 1; never a traceback. The root group (`prover.cli.lazy.LazyGroup`) applies the
same rule to any `ZkCreditsError` a command lets through, so new commands follow it by default.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from prover.errors import SettingsValueError, ZkCreditsError

EXIT_OK: Final = 0
EXIT_DOMAIN: Final = 1
EXIT_USAGE: Final = 2


class CliError(ZkCreditsError):
    """A refusal of the command line layer itself (a file that is not what it should be, …)."""

    code = "cli_error"


def error_body(exc: ZkCreditsError) -> dict[str, Any]:
    """`{"error": {type, code, message, field}}` for `--json` output."""
    detail: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc)}
    code = getattr(exc, "code", None)
    if isinstance(code, str):
        detail["code"] = code
    field = getattr(exc, "field", None)
    if isinstance(field, str):
        detail["field"] = field
    return {"error": detail}


def report_error(exc: ZkCreditsError, *, as_json: bool = False) -> None:
    """Print the one line (or JSON object) that stands for `exc`."""
    if as_json:
        typer.echo(json.dumps(error_body(exc)))
        return
    line = " ".join(str(exc).split())  # one line, even for a multi-line library message
    Console(stderr=True, soft_wrap=True).print(f"[red]error:[/] {escape(line)}", highlight=False)


def exit_code(exc: ZkCreditsError) -> int:
    """`EXIT_USAGE` for a malformed setting, else `EXIT_DOMAIN`."""
    return EXIT_USAGE if isinstance(exc, SettingsValueError) else EXIT_DOMAIN


def fail(exc: ZkCreditsError, *, as_json: bool = False) -> NoReturn:
    """Report `exc` and end the command with `exit_code(exc)` (1, or 2 for a bad setting)."""
    report_error(exc, as_json=as_json)
    raise typer.Exit(exit_code(exc))


@contextmanager
def domain_errors(as_json: bool = False) -> Iterator[None]:
    """Turn a `ZkCreditsError` raised inside into one line and exit status 1."""
    try:
        yield
    except ZkCreditsError as exc:
        fail(exc, as_json=as_json)
