"""Command groups loaded on first use, so `zkcredits --help` and light commands start fast.

`LazyGroup` is a typer group whose sub-commands are named by module path (`LazyCommand`): the
module is imported only when that command runs or its own help is asked for. Listing the
commands in the root `--help` shows the help line given here and imports nothing. The group also
applies the exit-code convention of `prover.cli.errors` to any `ZkCreditsError` a command lets
through (one line, status 1; 2 for a malformed setting), to a settings class's `ValidationError`
(one line naming the `ZKCREDITS_*` variable, status 2), and to an `OSError` or other pydantic
`ValidationError` from a file a command read without checking (one line naming it, status 1).

`hide_flag_types()` stops typer's help from printing a `<bool>` type beside flags (a flag takes
no value; the type column is for options that do).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
import typer.main
from pydantic import ValidationError
from typer import _click as click  # typer vendors its own click
from typer.core import TyperCommand, TyperGroup, TyperOption

from prover.cli.errors import EXIT_DOMAIN, CliError, exit_code, report_error
from prover.errors import ZkCreditsError
from prover.settings_types import settings_class, settings_error

# Dev-only commands (the demo) live in the checkout's testing package, outside the wheel.
TESTING_PACKAGE = "zkcredits_testing"


@dataclass(frozen=True)
class LazyCommand:
    """A sub-command in `module`: `attr` is a `typer.Typer` (a group) or a command function."""

    module: str
    attr: str
    help: str


class LazyGroup(TyperGroup):
    """A typer group with `lazy` sub-commands (set `lazy` on a subclass)."""

    lazy: ClassVar[dict[str, LazyCommand]] = {}
    _listing: bool = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*self.commands, *(name for name in self.lazy if name not in self.commands)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        loaded = self.commands.get(cmd_name)
        if loaded is not None:
            return loaded
        spec = self.lazy.get(cmd_name)
        if spec is None:
            return None
        if self._listing:  # the root help lists it: a stub with its help line, nothing imported
            return TyperCommand(cmd_name, help=spec.help)
        command = load_command(cmd_name, spec)
        self.commands[cmd_name] = command
        return command

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ZkCreditsError as exc:
            report_error(exc)
            raise typer.Exit(exit_code(exc)) from exc
        except ValidationError as exc:
            settings = settings_class(exc.title)
            if settings is not None:  # a `ZKCREDITS_*` variable with a malformed value
                bad = settings_error(settings, exc)
                report_error(bad)
                raise typer.Exit(exit_code(bad)) from exc
            report_error(CliError(_one_line(exc)))
            raise typer.Exit(EXIT_DOMAIN) from exc
        except OSError as exc:  # a file or a setting a command read raw
            report_error(CliError(_one_line(exc)))
            raise typer.Exit(EXIT_DOMAIN) from exc


def load_command(name: str, spec: LazyCommand) -> click.Command:
    """Import `spec.module` and build the click command of its typer app or function."""
    try:
        module = importlib.import_module(spec.module)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] != TESTING_PACKAGE:
            raise
        raise CliError(
            f"`zkcredits {name}` runs only from a source checkout (scripts/demo.sh installs the "
            f"`{TESTING_PACKAGE}` package it needs); this installation does not have it"
        ) from exc
    target = getattr(module, spec.attr)
    command: click.Command
    if isinstance(target, typer.Typer):
        command = typer.main.get_group(target)
    else:
        single = typer.Typer(pretty_exceptions_enable=False)
        single.command(name=name, help=spec.help if target.__doc__ is None else None)(target)
        command = typer.main.get_command(single)
    command.name = name
    if not command.help:
        command.help = spec.help
    return command


def hide_flag_types() -> None:
    """Typer prints `<bool>` in the type column of every flag (`--json`, `--help`, …); a flag
    takes no value, so its type column stays empty. Applied once, process-wide."""
    if getattr(TyperOption.display_type_rich, "_zkcredits", False):
        return
    original = TyperOption.display_type_rich

    def display_type_rich(self: TyperOption, ctx: click.Context) -> str | None:
        if self.is_flag and self.metavar is None:
            return None
        return original(self, ctx)

    display_type_rich._zkcredits = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


def _one_line(exc: OSError | ValidationError) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(root)"
        more = f" ({exc.error_count()} errors)" if exc.error_count() > 1 else ""
        return f"{exc.title}: {where}: {first['msg']}{more}"
    name = f"{exc.filename}: " if exc.filename else ""
    return f"{name}{exc.strerror or exc}"
