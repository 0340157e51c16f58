"""`zkcredits`: the command line of the project (chain, circuits, deploy, gateway, client)."""

from __future__ import annotations

import importlib
import sys

import typer
from rich.console import Console

from prover.cli.chain import app as chain_app
from prover.cli.demo import demo
from prover.errors import ZkCreditsError

app = typer.Typer(
    name="zkcredits",
    help="Anonymous, prepaid, per-call API payments with zero-knowledge proofs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(chain_app, name="chain", help="Run a local Anvil chain.")
app.command(name="demo")(demo)

# Sub-commands owned by other parts of the package, mounted when present.
_OPTIONAL_SUBAPPS = {
    "circuits": ("prover.cli.circuits", "Build circuits, keys and verifiers; run a ceremony."),
    "deploy": ("prover.cli.deploy", "Deploy the vault, verifiers and ERC-8004 registries."),
    "gateway": ("prover.cli.gateway", "Run the provider's verifying gateway."),
    "client": ("prover.cli.client", "The user's wallet and local prover service."),
    "provider": ("prover.cli.provider", "The provider's revenue: what is owed, and collecting it."),
}
for _name, (_module, _help) in _OPTIONAL_SUBAPPS.items():
    try:
        _sub = importlib.import_module(_module)
    except ModuleNotFoundError as _exc:
        if _exc.name != _module:
            raise
        continue
    app.add_typer(_sub.app, name=_name, help=_help)


def main(argv: list[str] | None = None) -> int:
    """Run the command line on `argv` (default: `sys.argv[1:]`); returns the exit status.

    A deliberate error (`ZkCreditsError`) or a command-line mistake (unknown option, bad value)
    is one clear line on stderr and status 2, never a traceback."""
    console = Console(stderr=True, soft_wrap=True)
    try:
        result = app(args=argv, prog_name="zkcredits", standalone_mode=False)
    except ZkCreditsError as exc:
        console.print(f"[red]error:[/] {' '.join(str(exc).split())}", highlight=False)
        return 2
    except typer.TyperException as exc:  # the command line's own mistakes (typer's click)
        if type(exc).__name__ == "NoArgsIsHelpError":
            typer.echo(exc.format_message(), err=True)
        else:
            console.print(f"[red]error:[/] {_usage_line(exc)}", highlight=False)
        return exc.exit_code
    except typer.Abort:
        console.print("[red]aborted[/]", highlight=False)
        return 1
    return result if isinstance(result, int) else 0


def _usage_line(exc: typer.TyperException) -> str:
    """`zkcredits gateway serve: Invalid value for '--port': … is not a valid integer`."""
    ctx = getattr(exc, "ctx", None)
    where = getattr(ctx, "command_path", None) or "zkcredits"
    return f"{where}: {' '.join(exc.format_message().split())}"


def run() -> None:
    """Console entry point (`zkcredits`)."""
    sys.exit(main())


if __name__ == "__main__":
    run()
