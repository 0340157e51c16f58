"""`zkcredits circuits build|ceremony`: keys, verifying keys and Solidity verifiers.

The ceremony's commands are in `prover/cli/ceremony.py` (mounted here as `ceremony`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from prover.circuits.artifacts import (
    CEREMONY_DIR,
    CIRCUIT_NAMES,
    CIRCUITS_BUILD_DIR,
    GENERATED_DIR,
    KEYS_DIR,
    CircuitArtifacts,
)
from prover.circuits.build import BuildDirs, build_circuit, compile_circuit
from prover.circuits.ceremony import load_transcript
from prover.circuits.errors import CircuitError
from prover.circuits.manifest import DEV_SETUP
from prover.cli.ceremony import app as ceremony_app
from prover.cli.progress import step_progress
from prover.toolchain.errors import ToolchainError

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)
console = Console(stderr=True)

CircuitOpt = Annotated[
    list[str] | None, typer.Option("--circuit", "-c", help="Circuit(s) to process (default: all).")
]
NoCompileOpt = Annotated[
    bool, typer.Option("--no-compile", help="Use the already compiled r1cs/wasm as they are.")
]
BuildDirOpt = Annotated[Path, typer.Option(hidden=True)]

DEV_BANNER = (
    "[bold]DEV SETUP[/]: keys come from groth16py's single-party setup (PROTOCOL §15).\n"
    "Whoever ran it can forge withdrawals and slashes. Local chains only: the deploy command\n"
    "refuses these keys elsewhere. Production keys: [bold]zkcredits circuits ceremony[/]."
)


def _artifacts(name: str, dirs: BuildDirs, compile_first: bool) -> CircuitArtifacts:
    if compile_first:
        return compile_circuit(name, dirs)
    return CircuitArtifacts.in_dir(name, dirs.circuits / name)


def _parse_zkeys(values: Sequence[str]) -> dict[str, Path]:
    out = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise typer.BadParameter(f"--zkey expects CIRCUIT=PATH, got {value!r}")
        out[name] = Path(path)
    return out


@app.command()
def build(
    circuit: CircuitOpt = None,
    zkey: Annotated[
        list[str] | None,
        typer.Option(help="Import a ceremony zkey instead of the dev setup: CIRCUIT=PATH."),
    ] = None,
    from_ceremony: Annotated[
        bool, typer.Option(help="Import build/ceremony/<circuit>/final.zkey (checked) for each.")
    ] = False,
    no_compile: NoCompileOpt = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print results as JSON.")] = False,
    build_dir: BuildDirOpt = CIRCUITS_BUILD_DIR,
    keys_dir: BuildDirOpt = KEYS_DIR,
    out_dir: BuildDirOpt = GENERATED_DIR,
    ceremony_dir: BuildDirOpt = CEREMONY_DIR,
) -> None:
    """Compile every circuit, set up keys (cached by r1cs hash), export vks and verifiers."""
    names = circuit or list(CIRCUIT_NAMES)
    dirs = BuildDirs(circuits=build_dir, keys=keys_dir, generated=out_dir)
    zkeys = _parse_zkeys(zkey or [])
    results = []
    try:
        with step_progress(console, 3 * len(names), "build") as steps:
            for name in names:
                steps.say(f"{name}: compiling")
                artifacts = _artifacts(name, dirs, not no_compile)
                steps.advance()
                chosen = zkeys.get(name)
                transcript = None
                if chosen is None and from_ceremony:
                    steps.say(f"{name}: checking the ceremony transcript")
                    chosen = ceremony_dir / name / "final.zkey"
                    transcript = ceremony_dir / name / "transcript.json"
                    _check_transcript_matches(artifacts, transcript)
                label = "importing the ceremony zkey" if chosen else "keys (dev setup, cached)"
                steps.say(f"{name}: {label}")
                result = build_circuit(artifacts, dirs, zkey=chosen, transcript=transcript)
                steps.advance()
                steps.say(f"{name}: verifier written")
                steps.advance()
                results.append(result)
    except (CircuitError, ToolchainError) as exc:
        console.print(f"[red]build failed:[/] {exc}")
        raise typer.Exit(1) from exc
    if any(r.setup.manifest.setup == DEV_SETUP for r in results):
        console.print(Panel(DEV_BANNER, title="warning", border_style="yellow"))
    if json_output:
        rows = [
            {**r.setup.manifest.model_dump(), "reused": r.setup.reused, "verifier": str(r.verifier)}
            for r in results
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="circuits")
    for col in ("circuit", "constraints", "public", "setup", "keys", "vk hash", "verifier"):
        table.add_column(col, overflow="fold")
    for r in results:
        m = r.setup.manifest
        table.add_row(
            r.name,
            str(m.n_constraints),
            str(m.n_public),
            m.setup,
            "cached" if r.setup.reused else "new",
            m.vk_hash,
            r.verifier.name,
        )
    Console().print(table)


def _check_transcript_matches(artifacts: CircuitArtifacts, transcript: Path) -> None:
    from prover.plumbing.digest import sha256_file

    record = load_transcript(transcript)
    if record.r1cs_sha256 != sha256_file(artifacts.r1cs):
        raise CircuitError(
            f"the ceremony in {transcript.parent} was for another r1cs of {artifacts.name}",
            field="r1cs_sha256",
        )
    if record.final_zkey_sha256 != sha256_file(transcript.parent / "final.zkey"):
        raise CircuitError(f"{transcript.parent}/final.zkey does not match its transcript")


app.add_typer(ceremony_app, name="ceremony", help="Multi-party trusted setup (snarkjs).")
