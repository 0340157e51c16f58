"""`zkcredits circuits build|ceremony`: keys, verifying keys and Solidity verifiers."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.panel import Panel
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from prover.circuits.artifacts import (
    CEREMONY_DIR,
    CIRCUIT_NAMES,
    CIRCUITS_BUILD_DIR,
    GENERATED_DIR,
    KEYS_DIR,
    PTAU_DIR,
    CircuitArtifacts,
)
from prover.circuits.build import BuildDirs, build_circuit, compile_circuit
from prover.circuits.ceremony import load_transcript, run_phase2, verify_ceremony
from prover.circuits.errors import CircuitError
from prover.circuits.manifest import DEV_SETUP
from prover.circuits.ptau import ensure_ptau, import_ptau, power_for, ptau_path
from prover.circuits.r1cs import read_r1cs_header
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


@contextmanager
def _progress(total: int) -> Iterator[tuple[Progress, TaskID]]:
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        yield bar, bar.add_task("starting", total=total)


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
        with _progress(3 * len(names)) as (bar, task):
            for name in names:
                bar.update(task, description=f"{name}: compiling")
                artifacts = _artifacts(name, dirs, not no_compile)
                bar.advance(task)
                chosen = zkeys.get(name)
                transcript = None
                if chosen is None and from_ceremony:
                    bar.update(task, description=f"{name}: checking the ceremony transcript")
                    chosen = ceremony_dir / name / "final.zkey"
                    transcript = ceremony_dir / name / "transcript.json"
                    _check_transcript_matches(artifacts, transcript)
                label = "importing the ceremony zkey" if chosen else "keys (dev setup, cached)"
                bar.update(task, description=f"{name}: {label}")
                result = build_circuit(artifacts, dirs, zkey=chosen, transcript=transcript)
                bar.advance(task)
                bar.update(task, description=f"{name}: verifier written")
                bar.advance(task)
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
    from prover.circuits.atomic import sha256_file

    record = load_transcript(transcript)
    if record.r1cs_sha256 != sha256_file(artifacts.r1cs):
        raise CircuitError(
            f"the ceremony in {transcript.parent} was for another r1cs of {artifacts.name}",
            field="r1cs_sha256",
        )
    if record.final_zkey_sha256 != sha256_file(transcript.parent / "final.zkey"):
        raise CircuitError(f"{transcript.parent}/final.zkey does not match its transcript")


@app.command()
def ceremony(
    circuit: CircuitOpt = None,
    party: Annotated[
        list[str] | None,
        typer.Option("--party", "-p", help="A named phase-2 contributor (repeat; ≥ 1)."),
    ] = None,
    ptau: Annotated[
        Path | None, typer.Option(help="Import a prepared powers-of-tau file instead.")
    ] = None,
    ptau_party: Annotated[
        list[str] | None, typer.Option(help="Phase-1 contributors when generating the ptau.")
    ] = None,
    power: Annotated[
        int | None, typer.Option(help="ptau power (default: the smallest that fits)")
    ] = None,
    beacon: Annotated[
        str | None, typer.Option(help="Public beacon value (hex); random if omitted.")
    ] = None,
    install: Annotated[
        bool, typer.Option(help="Install the final keys in build/keys and regenerate verifiers.")
    ] = True,
    verify_only: Annotated[
        bool, typer.Option(help="Only re-verify an existing ceremony's transcript and zkey.")
    ] = False,
    no_compile: NoCompileOpt = False,
    build_dir: BuildDirOpt = CIRCUITS_BUILD_DIR,
    keys_dir: BuildDirOpt = KEYS_DIR,
    out_dir: BuildDirOpt = GENERATED_DIR,
    ceremony_dir: BuildDirOpt = CEREMONY_DIR,
    ptau_dir: BuildDirOpt = PTAU_DIR,
) -> None:
    """Multi-party Groth16 setup with snarkjs: phase 1 (cached), phase 2, beacon, transcript."""
    names = circuit or list(CIRCUIT_NAMES)
    parties = party or ["party-1", "party-2", "party-3"]
    dirs = BuildDirs(circuits=build_dir, keys=keys_dir, generated=out_dir)
    table = Table(title="ceremony")
    for col in ("circuit", "ptau", "contributions", "vk hash", "transcript"):
        table.add_column(col, overflow="fold")
    try:
        with _progress(len(names)) as (bar, task):

            def say(message: str) -> None:
                bar.update(task, description=message)

            for name in names:
                artifacts = _artifacts(name, dirs, not no_compile)
                if verify_only:
                    record = load_transcript(ceremony_dir / name / "transcript.json")
                    ptau_file = ptau_dir / record.ptau.file
                    transcript = verify_ceremony(artifacts, ptau_file, ceremony_dir / name, say)
                else:
                    needed = power or power_for(read_r1cs_header(artifacts.r1cs))
                    if ptau is not None:
                        phase1 = import_ptau(ptau, ptau_dir=ptau_dir, progress=say)
                    else:
                        phase1 = ensure_ptau(
                            needed,
                            ptau_party or ["ptau-party-1", "ptau-party-2"],
                            beacon=beacon,
                            ptau_dir=ptau_dir,
                            progress=say,
                        )
                    output = run_phase2(
                        artifacts,
                        phase1,
                        parties,
                        beacon=beacon,
                        ptau_dir=ptau_dir,
                        out_dir=ceremony_dir,
                        progress=say,
                    )
                    transcript = verify_ceremony(
                        artifacts, ptau_path(phase1, ptau_dir), output.directory, say
                    )
                    if install:
                        say(f"{name}: installing keys and verifier")
                        build_circuit(
                            artifacts, dirs, zkey=output.zkey, transcript=output.transcript_path
                        )
                table.add_row(
                    name,
                    f"power {transcript.ptau.power} ({transcript.ptau.source})",
                    ", ".join(s.name or "?" for s in transcript.phase2[1:]),
                    transcript.vk_hash,
                    str(ceremony_dir / name / "transcript.json"),
                )
                bar.advance(task)
    except (CircuitError, ToolchainError) as exc:
        console.print(f"[red]ceremony failed:[/] {exc}")
        raise typer.Exit(1) from exc
    Console().print(table)
