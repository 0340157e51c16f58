"""What every `zkcredits client` command shares: the typer app, options, passphrase, output.

Light on purpose (no web3, no prover, no web stack): commands import the heavy modules inside
their bodies, so `client --help` and `client balance` start fast. Errors follow
`prover.cli.errors`: one line (or `{"error": …}` with `--json`) and exit status 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from prover.cli.errors import domain_errors
from prover.client.client_settings import DEFAULT_WALLET as DEFAULT_WALLET  # re-export
from prover.client.client_settings import client_settings
from prover.client.errors import ClientError
from prover.client.passphrase import read_passphrase
from prover.client.profile import ClientProfile, ProviderPin
from prover.client.wallet import Note, Wallet

if TYPE_CHECKING:
    from prover.client.session import Session

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)
err = Console(stderr=True, soft_wrap=True)


def _wallet(ctx: typer.Context, param: typer.CallbackParam, value: Path) -> Path:
    """`--wallet`, else `$ZKCREDITS_WALLET` (`ClientSettings`), else the default file."""
    from typer._click.core import ParameterSource

    if param.name is not None and ctx.get_parameter_source(param.name) is ParameterSource.DEFAULT:
        return client_settings().wallet
    return value


WalletOpt = Annotated[
    Path,
    typer.Option(
        "--wallet",
        callback=_wallet,
        help="Wallet file (else $ZKCREDITS_WALLET, else ~/.zkcredits/wallet.zkw).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
PassOpt = Annotated[
    Path | None, typer.Option(help="File holding the wallet passphrase (else env or prompt).")
]
KeyOpt = Annotated[
    Path | None, typer.Option(help="File holding the chain key (else $ZKCREDITS_CLIENT_KEY).")
]
RpcOpt = Annotated[str | None, typer.Option(help="Chain JSON-RPC URL (default: from init).")]
SidOpt = Annotated[str | None, typer.Option(help="Service id of the provider (if several).")]

errors = domain_errors
"""`with errors(as_json):` one error line (or JSON object) and exit status 1."""


@contextmanager
def progress(as_json: bool) -> Iterator[Callable[[str], None]]:
    """A rich spinner with elapsed time per step (silent with --json or off a terminal)."""
    if as_json or not err.is_terminal:
        yield lambda _message: None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("starting", total=None)

        def step(message: str) -> None:
            bar.update(task, description=message)

        yield step


def passphrase(
    path: Path | None, *, confirm: bool = False, env: str | None = None, what: str = "Wallet"
) -> str:
    """From the file, the environment (`env`, else the wallet's variable) or a prompt."""
    value = read_passphrase(path) if env is None else read_passphrase(path, env)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        variable = env or "ZKCREDITS_WALLET_PASSPHRASE"
        raise ClientError(
            f"no {what.lower()} passphrase: give its file or set ${variable}", field="passphrase"
        )
    prompted: str = typer.prompt(f"{what} passphrase", hide_input=True, confirmation_prompt=confirm)
    return prompted


def open_session(wallet: Path, passphrase_file: Path | None) -> Session:
    from prover.client.session import open_session as open_it

    return open_it(wallet, passphrase(passphrase_file))


def emit(data: dict[str, Any], as_json: bool, text: str) -> None:
    if as_json:
        typer.echo(json.dumps(data))
    else:
        err.print(text, highlight=False)


def find_note(wallet: Wallet, ref: str) -> Note:
    matches = [n for n in wallet.notes() if str(n.id).startswith(ref)]
    if len(ref) < 6 or len(matches) != 1:
        raise ClientError(
            f"--note {ref!r} matches {len(matches)} notes (give at least 6 leading digits)",
            field="note",
        )
    return matches[0]


def pin_of(profile: ClientProfile, service_id: str | None) -> ProviderPin:
    if service_id is not None and not service_id.isdigit():
        raise ClientError(f"--service-id {service_id!r} is not a number", field="service_id")
    return profile.provider(None if service_id is None else int(service_id))
