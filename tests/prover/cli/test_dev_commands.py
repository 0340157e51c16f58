"""Dev-only commands (the demo) live in the checkout's testing package, outside the wheel: an
installation without that package names the reason instead of a traceback."""

from __future__ import annotations

import sys

import pytest

from prover.cli.errors import CliError
from prover.cli.lazy import TESTING_PACKAGE, LazyCommand, load_command
from prover.cli.main import SUBCOMMANDS


def test_the_demo_without_the_testing_package_says_it_needs_a_checkout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = SUBCOMMANDS["demo"]
    assert spec.module.split(".")[0] == TESTING_PACKAGE
    for name in [m for m in list(sys.modules) if m.startswith(TESTING_PACKAGE)]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, TESTING_PACKAGE, None)  # as if not installed
    with pytest.raises(CliError, match="runs only from a source checkout") as caught:
        load_command("demo", spec)
    assert "zkcredits demo" in str(caught.value)


def test_the_demo_loads_in_the_checkout() -> None:
    command = load_command("demo", SUBCOMMANDS["demo"])
    assert command.name == "demo"


def test_a_missing_module_of_the_package_itself_is_not_taken_for_a_dev_command() -> None:
    with pytest.raises(ModuleNotFoundError):
        load_command("nothing", LazyCommand("prover.cli.no_such_module", "app", "none"))
