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
    "validator": ("prover.cli.validator", "Answer ERC-8004 validation requests (TDX quotes)."),
}
for _name, (_module, _help) in _OPTIONAL_SUBAPPS.items():
    try:
        _sub = importlib.import_module(_module)
    except ModuleNotFoundError as _exc:
        if _exc.name != _module:
            raise
        continue
    app.add_typer(_sub.app, name=_name, help=_help)
importlib.import_module("prover.cli.gateway_attest")  # adds `zkcredits gateway attest`


def run() -> None:
    """Console entry point: a deliberate error is one clear line and exit status 2, no traceback."""
    try:
        app()
    except ZkCreditsError as exc:
        Console(stderr=True, soft_wrap=True).print(f"[red]error:[/] {exc}", highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    run()
