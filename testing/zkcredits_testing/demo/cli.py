"""`zkcredits demo`: the main job, deposit → anonymous paid calls → withdrawal on a local Anvil.

Builds the circuits (cached), starts Anvil, deploys, starts the gateway (with its chain watcher
and slasher) and the prover service, then plays the story of
`zkcredits_testing.demo.story` and prints a
summary. Everything it started is stopped at the end, also on error.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from prover.errors import ZkCreditsError
from zkcredits_testing.demo.story import DEFAULT_CALLS, DEFAULT_NOTES, run_story
from zkcredits_testing.demo.summary import print_summary

# Off a terminal (CI, a log file) rich would cut the summary tables at 80 columns.
console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)


def demo(
    calls: Annotated[int, typer.Option(help="Paid calls of the honest agent.", min=1)] = (
        DEFAULT_CALLS
    ),
    notes: Annotated[int, typer.Option(help="Notes the agent deposits.", min=1)] = DEFAULT_NOTES,
    work_dir: Annotated[
        Path | None, typer.Option(help="Keep wallets, mirrors and logs here (default: a temp dir).")
    ] = None,
) -> None:
    """Run the whole story on a local Anvil chain and print a summary."""
    started = time.monotonic()

    def progress(message: str) -> None:
        console.print(f"[dim]{time.monotonic() - started:6.1f}s[/] {message}", highlight=False)

    try:
        if work_dir is not None:  # a fresh run directory each time: wallets are never reused
            run_dir = work_dir / time.strftime("run-%Y%m%dT%H%M%SZ", time.gmtime())
            progress(f"keeping wallets, mirrors and the Anvil log in {run_dir}")
            result = run_story(run_dir, calls=calls, notes=notes, progress=progress)
        else:
            with tempfile.TemporaryDirectory(prefix="zkcredits-demo-") as tmp:
                result = run_story(Path(tmp), calls=calls, notes=notes, progress=progress)
    except ZkCreditsError as exc:
        console.print(f"[red]demo failed:[/] {type(exc).__name__}: {exc}", highlight=False)
        raise typer.Exit(1) from exc
    print_summary(result, console)
    w = result.withdrawal
    console.print(
        f"[bold green]agent payout {w.pulled_wei} wei == deposit {w.deposited} − charged "
        f"{w.charged} − penalties {w.penalties} units (× {result.unit} wei)[/]; "
        f"total {time.monotonic() - started:.1f} s",
        highlight=False,
    )
