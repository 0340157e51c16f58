"""`zkcredits`: the command line of the project (chain, circuits, deploy, gateway, client).

Every sub-command group is imported only when it runs (`prover.cli.lazy.LazyGroup`), so
`zkcredits --help` and light commands such as `client balance` start without web3, the prover
or the web stack. Exit status: 0 ok, 1 a domain error (one line `error: …`), 2 a usage error
(`prover.cli.errors`). A new group is one line in `SUBCOMMANDS`.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from prover.cli.errors import EXIT_DOMAIN, EXIT_OK, exit_code, report_error
from prover.cli.lazy import LazyCommand, LazyGroup, hide_flag_types
from prover.errors import ZkCreditsError

SUBCOMMANDS = {
    "demo": LazyCommand(
        "zkcredits_testing.demo.cli",
        "demo",
        "Run the whole story on a local Anvil chain and print a summary.",
    ),
    "chain": LazyCommand("prover.cli.chain", "app", "Run a local Anvil chain."),
    "circuits": LazyCommand(
        "prover.cli.circuits", "app", "Build circuits, keys and verifiers; run a ceremony."
    ),
    "deploy": LazyCommand(
        "prover.cli.deploy", "app", "Deploy the vault, verifiers and ERC-8004 registries."
    ),
    "gateway": LazyCommand("prover.cli.gateway", "app", "Run the provider's verifying gateway."),
    "client": LazyCommand(
        "prover.cli.client", "app", "The user's wallet and local prover service."
    ),
    "provider": LazyCommand(
        "prover.cli.provider", "app", "The provider's revenue: what is owed, and collecting it."
    ),
    "validator": LazyCommand(
        "prover.cli.validator", "app", "Answer ERC-8004 validation requests (TDX quotes)."
    ),
}


class ZkCreditsGroup(LazyGroup):
    lazy = SUBCOMMANDS


hide_flag_types()
app = typer.Typer(
    name="zkcredits",
    cls=ZkCreditsGroup,
    help="Anonymous, prepaid, per-call API payments with zero-knowledge proofs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Anonymous, prepaid, per-call API payments with zero-knowledge proofs."""


def main(argv: list[str] | None = None) -> int:
    """Run the command line on `argv` (default: `sys.argv[1:]`); returns the exit status.

    The convention of `prover.cli.errors`: a deliberate error (`ZkCreditsError`) is one clear
    line on stderr and status 1; a command-line mistake (unknown option, bad value) one line and
    status 2; never a traceback."""
    console = Console(stderr=True, soft_wrap=True)
    try:
        result = app(args=argv, prog_name="zkcredits", standalone_mode=False)
    except ZkCreditsError as exc:  # raised outside a command (e.g. while loading a group)
        report_error(exc)
        return exit_code(exc)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.TyperException as exc:  # the command line's own mistakes (typer's click)
        if type(exc).__name__ == "NoArgsIsHelpError":
            typer.echo(exc.format_message(), err=True)
        else:
            console.print(f"[red]error:[/] {_usage_line(exc)}", highlight=False)
        return exc.exit_code
    except typer.Abort:
        console.print("[red]aborted[/]", highlight=False)
        return EXIT_DOMAIN
    return result if isinstance(result, int) else EXIT_OK


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
