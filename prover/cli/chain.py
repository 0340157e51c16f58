"""`zkcredits chain up|down|status`: a local Anvil on a free loopback port, stopped by PID."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from prover.cli.operator_settings import DevChainSettings
from prover.plumbing.atomic import atomic_write_text
from prover.settings_types import load_settings
from prover.toolchain.anvil import AnvilProcess, ChainInfo, rpc_call, stop_detached
from prover.toolchain.errors import ToolchainError
from prover.toolchain.paths import BUILD_DIR

app = typer.Typer(no_args_is_help=True)
console = Console(stderr=True, soft_wrap=True)


def state_file() -> Path:
    """`$ZKCREDITS_CHAIN_STATE` (`DevChainSettings`), else `build/chain/anvil.json`."""
    chosen = load_settings(DevChainSettings).chain_state
    return chosen if chosen is not None else BUILD_DIR / "chain" / "anvil.json"


JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable info.")]


def _write_state(info: ChainInfo, path: Path) -> None:
    atomic_write_text(path, info.model_dump_json())


def read_state(path: Path | None = None) -> ChainInfo | None:
    """The detached chain recorded by `chain up --detach`, if any."""
    path = state_file() if path is None else path
    if not path.exists():
        return None
    try:
        return ChainInfo.model_validate_json(path.read_text())
    except ValidationError as exc:
        raise ToolchainError(f"{path} is corrupt ({exc.error_count()} errors); delete it") from exc


@app.command()
def up(
    detach: Annotated[bool, typer.Option(help="Leave the chain running and return.")] = False,
    block_time: Annotated[
        float | None, typer.Option(help="Seconds per block (default: mine on demand).")
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Start Anvil on a free loopback port and wait until it answers."""
    existing = read_state()
    if existing is not None and _answers(existing):
        console.print(f"[red]a chain is already running: {existing.rpc_url} (pid {existing.pid})")
        raise typer.Exit(1)
    anvil = AnvilProcess(block_time=block_time, log_path=state_file().with_suffix(".log"))
    try:
        with console.status("starting Anvil"):
            info = anvil.start()
    except ToolchainError as exc:
        console.print(f"[red]{exc}")
        raise typer.Exit(1) from exc
    _write_state(info, state_file())
    if json_output:
        typer.echo(info.model_dump_json())
    else:
        console.print(f"[green]Anvil[/] chain {info.chain_id} at {info.rpc_url} (pid {info.pid})")
    if detach:
        anvil.detach()
        return
    console.print("Ctrl-C stops it.")
    stopping = False

    def _stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    try:
        while not stopping:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        anvil.stop()
        state_file().unlink(missing_ok=True)
        console.print("chain stopped")


@app.command()
def down() -> None:
    """Stop the chain started by `chain up --detach`, by its PID."""
    info = read_state()
    if info is None:
        console.print("no chain recorded in " + str(state_file()))
        raise typer.Exit(1)
    stopped = stop_detached(info.pid)
    state_file().unlink(missing_ok=True)
    console.print(f"chain (pid {info.pid}) " + ("stopped" if stopped else "was not running"))


@app.command()
def status(
    json_output: JsonFlag = False,
) -> None:
    """Say whether the recorded chain answers."""
    info = read_state()
    alive = info is not None and _answers(info)
    if json_output:
        typer.echo(json.dumps({"running": alive, **(info.model_dump() if info else {})}))
    elif info is None:
        console.print("no chain recorded")
    else:
        state = "answers" if alive else "not running"
        console.print(f"{info.rpc_url} (pid {info.pid}): {state}")
    if not alive:
        raise typer.Exit(1)


def _answers(info: ChainInfo) -> bool:
    try:
        rpc_call(info.rpc_url, "eth_chainId")
    except Exception:
        return False
    return True
