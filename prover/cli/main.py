"""`zkcredits`: the command line of the project (chain, circuits, deploy, gateway, client).

Every sub-command group is imported only when it runs (`prover.cli.lazy.LazyGroup`), so
`zkcredits --help` and light commands such as `client balance` start without web3, the prover
or the web stack. Exit status: 0 ok, 1 a domain error (one line `error: …`), 2 a usage error
(`prover.cli.errors`). A new group is one line in `SUBCOMMANDS`.
"""

from __future__ import annotations

import sys

import typer

from prover.cli.errors import EXIT_DOMAIN, report_error
from prover.cli.lazy import LazyCommand, LazyGroup, hide_flag_types
from prover.errors import ZkCreditsError

SUBCOMMANDS = {
    "demo": LazyCommand(
        "prover.cli.demo", "demo", "Run the whole story on a local Anvil chain and print a summary."
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


def run() -> None:
    """Console entry point: a deliberate error is one clear line and exit status 1, no traceback
    (usage errors keep click's status 2)."""
    try:
        app()
    except ZkCreditsError as exc:  # raised outside a command (e.g. while loading a group)
        report_error(exc)
        sys.exit(EXIT_DOMAIN)


if __name__ == "__main__":
    run()
