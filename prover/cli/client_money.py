"""`zkcredits client balance`: what the notes can still pay for, with dates and warnings.

Offline (the wallet and its profile only) and light: it imports neither web3 nor the prover.
The numbers are `prover.client.balance`'s: spendable counts a note only while it can pay one
more call at the worst-case price (`c_max`, with the reserve kept).
"""

from __future__ import annotations

import json
import sys
import time

import typer
from rich.console import Console
from rich.table import Table

from prover.cli.client_common import DEFAULT_WALLET, JsonOpt, PassOpt, WalletOpt, app, errors
from prover.cli.client_common import passphrase as read_wallet_passphrase
from prover.client.balance import BalanceReport, NoteLine, State, balance_report
from prover.client.profile import load_profile, profile_path
from prover.client.wallet import Wallet

_STYLE = {State.ACTIVE: "green", State.EXPIRED: "red", State.HALTED: "red", State.EXITING: "yellow"}


def _grace_days(wallet: Wallet) -> dict[int, int]:
    path = wallet.path
    if not profile_path(path).is_file():
        return {}
    profile = load_profile(path)
    return {int(key): pin.exit_grace_days for key, pin in profile.providers.items()}


def _pending(line: NoteLine) -> str:
    if line.exit is not None:
        if not line.exit.pending_call:
            return f"exit requested; payout {line.exit.expected_payout}"
        return (
            f"exit with an unanswered call: +{line.exit.pending_charge} charge, "
            f"+{line.exit.pending_penalty} penalty; payout {line.exit.expected_payout}"
        )
    if line.pending_ticket is not None:
        return f"ticket {line.pending_ticket} awaits its reply"
    return ""


def _days(line: NoteLine) -> str:
    if line.days_left is None or line.state not in (State.ACTIVE, State.EXPIRED):
        return ""
    return f"{line.days_left}" if line.days_left >= 0 else f"{-line.days_left} ago"


def render(report: BalanceReport, console: Console) -> None:
    table = Table(title=f"notes on {report.today} (UTC)")
    for name in ("note", "state", "deposit", "spent", "spendable", "calls left"):
        table.add_column(name, overflow="fold")
    for name in ("expires", "days left", "withdraw before"):
        table.add_column(name, no_wrap=True)
    table.add_column("pending", overflow="fold")
    for line in report.notes:
        style = _STYLE.get(line.state, "dim")
        table.add_row(
            line.note[:12] + "…", f"[{style}]{line.state}[/]", str(line.D), str(line.C + line.P),
            str(line.spendable), str(line.calls_left), line.expires or "", _days(line),
            line.withdraw_before or "", _pending(line),
        )  # fmt: skip
    console.print(table)
    console.print(
        f"spendable: {report.spendable} units ({report.calls_left} call(s) at the worst-case "
        "price, c_max)",
        highlight=False,
    )
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {warning.message}", highlight=False)


@app.command()
def balance(
    wallet: WalletOpt = DEFAULT_WALLET, passphrase_file: PassOpt = None, as_json: JsonOpt = False
) -> None:
    """What each note can still pay for: dates, days left, pending calls and exits (no network)."""
    with errors(as_json), Wallet.open(wallet, read_wallet_passphrase(passphrase_file)) as opened:
        report = balance_report(opened.notes(), _grace_days(opened), time.time())
    if as_json:
        typer.echo(json.dumps(report.model_dump(mode="json")))
        return
    # off a terminal (a pipe, a log) rich would squeeze the table into 80 columns
    render(report, Console(width=None if sys.stdout.isatty() else 160))
