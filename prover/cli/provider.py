"""`zkcredits provider`: the provider's revenue (`revenue`) and collecting it (`collect`).

Both read the deployment (the gateway bundle), the RPC and the data directory exactly as
`gateway serve` does (options, `ZKCREDITS_GATEWAY_*` variables, `--config`). `collect` signs with
the treasury's key, from `--key-file` or `$ZKCREDITS_TREASURY_KEY` (never an argument).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from eth_account.signers.local import LocalAccount
from rich.console import Console
from rich.table import Table

from prover.chain.sender import load_account
from prover.chain.vault import CreditVaultClient
from prover.cli.operator_settings import operator_key
from prover.gateway.bundle import GatewayBundle, read_gateway_bundle
from prover.gateway.chain.components import connect
from prover.gateway.config import ServeSettings, load_serve_settings
from prover.gateway.datadir import DataDir
from prover.gateway.errors import RevenueError
from prover.gateway.revenue import RevenueReport, collect, open_revenue_mirror, revenue_report
from prover.plumbing.errors import SecretFileError
from prover.plumbing.secret_file import read_secret_text

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)
console = Console(stderr=True, soft_wrap=True)
TREASURY_KEY_ENV = "ZKCREDITS_TREASURY_KEY"

DeploymentOpt = Annotated[
    Path | None, typer.Option(help="Gateway bundle (<chainId>.gateway.json) or deployment.")
]
ConfigOpt = Annotated[Path | None, typer.Option(help="Gateway config file (JSON).")]
RpcOpt = Annotated[str | None, typer.Option(help="Chain RPC (default: the bundle's hint).")]
DataOpt = Annotated[Path | None, typer.Option(help="Data directory (default: XDG data dir).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _open(
    deployment: Path | None, config: Path | None, rpc_url: str | None, data_dir: Path | None
) -> tuple[ServeSettings, GatewayBundle, CreditVaultClient, RevenueReport]:
    cli = {"deployment": deployment, "rpc_url": rpc_url, "data_dir": data_dir}
    serve = load_serve_settings(cli, config)
    assert serve.deployment is not None
    bundle = read_gateway_bundle(serve.deployment)
    rpc = serve.rpc_url or bundle.rpc_url
    if rpc is None:
        raise RevenueError("rpc_url: none configured: pass --rpc-url URL", field="rpc_url")
    w3 = connect(rpc, serve.rpc_timeout_seconds)
    try:
        chain_id = int(w3.eth.chain_id)
    except Exception as exc:
        raise RevenueError(
            f"rpc_url: no Ethereum node answers at {rpc}: {type(exc).__name__}", field="rpc_url"
        ) from exc
    if chain_id != bundle.chain_id:
        raise RevenueError(
            f"chain_id: the RPC serves chain {chain_id}, the deployment is on {bundle.chain_id}",
            field="chain_id",
        )
    where = DataDir.open(serve.data_dir).deployment(bundle.chain_id, bundle.vault)
    mirror = open_revenue_mirror(
        w3, bundle.vault, where.revenue_mirror,
        confirmations=serve.confirmations(bundle.chain_id), start_block=bundle.start_block,
    )  # fmt: skip
    try:
        vault = CreditVaultClient(w3, bundle.vault)
        report = revenue_report(vault, mirror)
    finally:
        mirror.close()
    return serve, bundle, vault, report


def _when(unix: int) -> str:
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _short(note_id: str) -> str:
    return note_id if len(note_id) <= 14 else f"{note_id[:6]}…{note_id[-6:]}"


def _print(report: RevenueReport) -> None:
    unit = "wei" if report.asset == "native" else f"base units of {report.asset}"
    out = Console(soft_wrap=True)
    out.print(
        f"vault {report.vault} on chain {report.chain_id} (block {report.block}, "
        f"{_when(report.chain_time)}); treasury {report.treasury}"
    )
    out.print(f"owed to the treasury now: {report.owed} {unit}")
    out.print(
        f"pending exits: {len(report.pending_exits)}, the treasury's share "
        f"{report.pending_exit_amount} {unit} once finalized"
    )
    if report.pending_exits:
        table = Table("note", "charged", "window ends", "ready")
        for e in report.pending_exits:
            table.add_row(_short(e.note_id), str(e.treasury_amount), _when(e.ready_at),
                          "yes" if e.ready else "no")  # fmt: skip
        out.print(table)
    out.print(f"expired notes to sweep: {len(report.sweepable)}, {report.sweepable_amount} {unit}")
    if report.sweepable:
        table = Table("note", "deposit", "last exit day")
        for s in report.sweepable:
            table.add_row(_short(s.note_id), str(s.amount), str(s.last_exit_day))
        out.print(table)


@app.command()
def revenue(
    deployment: DeploymentOpt = None,
    config: ConfigOpt = None,
    rpc_url: RpcOpt = None,
    data_dir: DataOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """What the vault owes the treasury, pending exits and their windows, expired notes."""
    _serve, _bundle, _vault, report = _open(deployment, config, rpc_url, data_dir)
    if json_out:
        typer.echo(report.model_dump_json())
    else:
        _print(report)


@app.command("collect")
def collect_cmd(
    deployment: DeploymentOpt = None,
    config: ConfigOpt = None,
    rpc_url: RpcOpt = None,
    data_dir: DataOpt = None,
    key_file: Annotated[
        Path | None,
        typer.Option(help=f"The treasury's hex key file (else ${TREASURY_KEY_ENV})."),
    ] = None,
    finalize: Annotated[
        bool, typer.Option(help="Also finalize exits whose challenge window has passed.")
    ] = True,
    json_out: JsonOpt = False,
) -> None:
    """Sweep expired notes, finalize ready exits, then `withdrawOwed` to the treasury."""
    account = _treasury_key(key_file)
    _serve, _bundle, vault, report = _open(deployment, config, rpc_url, data_dir)
    done = collect(vault, report, account, finalize=finalize,
                   progress=lambda m: console.print(f"[green]•[/] {m}"))  # fmt: skip
    if json_out:
        typer.echo(done.model_dump_json())
        return
    for tx in done.transactions:
        note = "" if tx.note_id is None else f" {_short(tx.note_id)}"
        typer.echo(f"{tx.action}{note}: {tx.tx_hash} ({tx.gas_used} gas)")
    for label in done.skipped:
        typer.echo(f"skipped {label} (settled meanwhile, or nothing to do)")
    typer.echo(f"withdrawn to the treasury: {done.withdrawn}; still owed: {done.owed_after}")


def _treasury_key(key_file: Path | None) -> LocalAccount:
    try:
        if key_file is not None:
            text = read_secret_text(key_file)
        elif operator_key(TREASURY_KEY_ENV):  # `OperatorKeySettings`
            text = operator_key(TREASURY_KEY_ENV) or ""
        else:
            raise RevenueError(
                f"key_file: no treasury key: pass --key-file PATH or set {TREASURY_KEY_ENV}",
                field="key_file",
            )
    except SecretFileError as exc:
        raise RevenueError(f"key_file: {exc}", field="key_file") from exc
    try:
        account: LocalAccount = load_account(text.strip())
    except Exception as exc:
        raise RevenueError(
            f"key_file: not a 32-byte hex private key ({type(exc).__name__})", field="key_file"
        ) from exc
    return account
