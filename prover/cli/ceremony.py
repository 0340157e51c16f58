"""`zkcredits circuits ceremony`: the multi-party Groth16 setup (PROTOCOL §15) with snarkjs.

Without a sub-command: the single-machine rehearsal (phase 1 made by the ceremony or imported with
`--ptau`, then phase 2 with one contribution per `--party`, a beacon, verification, install). With
parties on different machines they take turns by passing a directory:

    ceremony start   --phase1 --power 14 --out t0          (or: --circuit request --out t0)
    ceremony contribute t0 --name alice --out t1            (alice's machine; bob's: t1 → t2 …)
    ceremony verify t2                                      (anyone: the chain so far)
    ceremony finish t2 --beacon <public hex> [--install]    (phase 1: recorded; phase 2: keys)
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
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
from prover.circuits.ceremony_turns import (
    TURN_STATE,
    contribute,
    finish_phase1_turns,
    finish_phase2_turns,
    load_turn,
    start_phase1,
    start_phase2,
    verify_turn,
)
from prover.circuits.errors import CeremonyError, CircuitError
from prover.circuits.ptau import (
    cached_ptau,
    ensure_ptau,
    import_ptau,
    new_beacon,
    power_for,
    ptau_path,
)
from prover.circuits.r1cs import read_r1cs_header
from prover.circuits.transcript import PtauRecord, Transcript
from prover.cli.progress import Steps, step_progress
from prover.toolchain.errors import ToolchainError

app = typer.Typer(no_args_is_help=False, pretty_exceptions_enable=False)
console = Console(stderr=True)

CircuitOpt = Annotated[
    list[str] | None, typer.Option("--circuit", "-c", help="Circuit(s) to process (default: all).")
]
OneCircuitOpt = Annotated[
    str | None, typer.Option("--circuit", "-c", help="Phase 2 of one circuit.")
]
NoCompileOpt = Annotated[
    bool, typer.Option("--no-compile", help="Use the already compiled r1cs/wasm as they are.")
]
PtauOpt = Annotated[
    Path | None,
    typer.Option(help="Import this prepared powers-of-tau file (verified) as phase 1."),
]
BeaconOpt = Annotated[
    str | None, typer.Option(help="Public beacon (hex) fixed in advance; random if omitted.")
]
HiddenDir = Annotated[Path, typer.Option(hidden=True)]


def _artifacts(name: str, dirs: BuildDirs, compile_first: bool) -> CircuitArtifacts:
    if compile_first:
        return compile_circuit(name, dirs)
    return CircuitArtifacts.in_dir(name, dirs.circuits / name)


def _fail(what: str, exc: Exception) -> None:
    console.print(f"[red]{what} failed:[/] {exc}", highlight=False)
    raise typer.Exit(1) from exc


def _phase1(
    needed: int,
    ptau: Path | None,
    parties: list[str],
    beacon: str | None,
    ptau_dir: Path,
    steps: Steps,
) -> PtauRecord:
    """An explicitly imported phase 1, else one this ceremony made (cached or new): never a file a
    benchmark or a test wrote."""
    if ptau is not None:
        return import_ptau(ptau, ptau_dir=ptau_dir, progress=steps.say)
    return ensure_ptau(needed, parties, beacon=beacon, ptau_dir=ptau_dir, progress=steps.say)


def _names(phase1: list[str], phase2: list[str]) -> list[str]:
    return [
        f"phase 1 contributors: {', '.join(phase1) or '-'}",
        f"phase 2 contributions: {', '.join(phase2) or '-'}",
    ]


def _summary(rows: list[Transcript], dirs: dict[str, Path]) -> None:
    """Every contributor of both phases, per circuit: a table on a terminal, lines otherwise."""
    out = Console()
    table = Table(title="ceremony")
    columns = ("circuit", "phase 1", "phase 1 contributors", "phase 2 contributions", "vk hash")
    for col in (*columns, "transcript"):
        table.add_column(col, overflow="fold")
    for t in rows:
        values = (
            t.circuit,
            f"power {t.ptau.power} ({t.ptau.source}, {t.ptau.purpose or 'unrecorded purpose'})",
            ", ".join(t.ptau.contributors) or "(not recorded)",
            ", ".join(s.name or "?" for s in t.phase2[1:]),
            t.vk_hash,
            str(dirs[t.circuit] / "transcript.json"),
        )
        table.add_row(*values)
        if not out.is_terminal:
            pairs = zip((*columns, "transcript"), values, strict=True)
            typer.echo("; ".join(f"{k}: {v}" for k, v in pairs))
    if out.is_terminal:
        out.print(table)


@app.callback(invoke_without_command=True)
def rehearsal(
    ctx: typer.Context,
    circuit: CircuitOpt = None,
    party: Annotated[
        list[str] | None,
        typer.Option("--party", "-p", help="A named phase-2 contributor (repeat; ≥ 1)."),
    ] = None,
    ptau: PtauOpt = None,
    ptau_party: Annotated[
        list[str] | None, typer.Option(help="Phase-1 contributors when phase 1 is made here.")
    ] = None,
    power: Annotated[
        int | None, typer.Option(help="ptau power (default: the smallest that fits)")
    ] = None,
    beacon: BeaconOpt = None,
    install: Annotated[
        bool, typer.Option(help="Install the final keys in build/keys and regenerate verifiers.")
    ] = True,
    verify_only: Annotated[
        bool, typer.Option(help="Only re-verify an existing ceremony's transcript and zkey.")
    ] = False,
    no_compile: NoCompileOpt = False,
    out: Annotated[
        Path, typer.Option("--out", "--ceremony-dir", help="Where the ceremony is written.")
    ] = CEREMONY_DIR,
    build_dir: HiddenDir = CIRCUITS_BUILD_DIR,
    keys_dir: HiddenDir = KEYS_DIR,
    out_dir: HiddenDir = GENERATED_DIR,
    ptau_dir: HiddenDir = PTAU_DIR,
) -> None:
    """Multi-party Groth16 setup: phase 1 (made here, or --ptau), phase 2, beacon, transcript."""
    if ctx.invoked_subcommand is not None:
        return
    names = circuit or list(CIRCUIT_NAMES)
    parties = party or ["party-1", "party-2", "party-3"]
    dirs = BuildDirs(circuits=build_dir, keys=keys_dir, generated=out_dir)
    rows: list[Transcript] = []
    try:
        with step_progress(console, len(names), "ceremony") as steps:
            for name in names:
                artifacts = _artifacts(name, dirs, not no_compile)
                if verify_only:
                    record = load_transcript(out / name / "transcript.json")
                    transcript = verify_ceremony(
                        artifacts, ptau_dir / record.ptau.file, out / name, steps.say
                    )
                else:
                    needed = power or power_for(read_r1cs_header(artifacts.r1cs))
                    phase1_parties = ptau_party or ["ptau-party-1", "ptau-party-2"]
                    phase1 = _phase1(needed, ptau, phase1_parties, beacon, ptau_dir, steps)
                    output = run_phase2(
                        artifacts,
                        phase1,
                        parties,
                        beacon=beacon,
                        ptau_dir=ptau_dir,
                        out_dir=out,
                        progress=steps.say,
                    )
                    transcript = verify_ceremony(
                        artifacts, ptau_path(phase1, ptau_dir), output.directory, steps.say
                    )
                    if install:
                        steps.say(f"{name}: installing keys and verifier")
                        build_circuit(
                            artifacts, dirs, zkey=output.zkey, transcript=output.transcript_path
                        )
                rows.append(transcript)
                steps.advance()
    except (CircuitError, ToolchainError) as exc:
        _fail("ceremony", exc)
    _summary(rows, {t.circuit: out / t.circuit for t in rows})


@app.command()
def start(
    out: Annotated[Path, typer.Option(help="The first turn directory (new, empty).")],
    phase1: Annotated[
        bool, typer.Option("--phase1", help="Start a phase 1 (powers of tau).")
    ] = False,
    power: Annotated[
        int | None, typer.Option(help="Phase-1 power (default: fits --circuit).")
    ] = None,
    circuit: OneCircuitOpt = None,
    ptau: PtauOpt = None,
    no_compile: NoCompileOpt = False,
    build_dir: HiddenDir = CIRCUITS_BUILD_DIR,
    ptau_dir: HiddenDir = PTAU_DIR,
) -> None:
    """Start a ceremony whose parties pass a directory from machine to machine."""
    try:
        with step_progress(console, 1, "ceremony start") as steps:
            if phase1:
                if power is None:
                    raise CeremonyError("--phase1 needs --power", field="power")
                state = start_phase1(power, out, steps.say)
            else:
                if circuit is None:
                    raise CeremonyError("give --phase1 or --circuit NAME", field="circuit")
                dirs = BuildDirs(circuits=build_dir)
                artifacts = _artifacts(circuit, dirs, not no_compile)
                needed = power or power_for(read_r1cs_header(artifacts.r1cs))
                record: PtauRecord | None
                if ptau is not None:
                    record = import_ptau(ptau, ptau_dir=ptau_dir, progress=steps.say)
                else:
                    record = cached_ptau(needed, ptau_dir)
                if record is None:
                    raise CeremonyError(
                        f"no phase 1 of power ≥ {needed} made by the ceremony: run a phase 1 "
                        "(`ceremony start --phase1`) or import one with --ptau FILE",
                        field="ptau",
                    )
                state = start_phase2(artifacts, record, out, ptau_dir, steps.say)
    except (CircuitError, ToolchainError) as exc:
        _fail("ceremony start", exc)
    console.print(f"{state.phase} started in {out}: pass it to the first contributor")


@app.command("contribute")
def contribute_command(
    directory: Annotated[Path, typer.Argument(help="The turn directory you received.")],
    name: Annotated[str, typer.Option(help="Your name, as the transcript will show it.")],
    out: Annotated[Path, typer.Option(help="The turn directory to pass on (new, empty).")],
    no_compile: NoCompileOpt = False,
    build_dir: HiddenDir = CIRCUITS_BUILD_DIR,
    ptau_dir: HiddenDir = PTAU_DIR,
) -> None:
    """Verify what you received, add your contribution (fresh entropy), write the next turn."""
    try:
        with step_progress(console, 1, "ceremony contribute") as steps:
            state = load_turn(directory)
            artifacts = None
            if state.phase == "phase2" and state.circuit is not None:
                artifacts = _artifacts(state.circuit, BuildDirs(circuits=build_dir), not no_compile)
            _, step = contribute(directory, name, out, artifacts, ptau_dir, steps.say)
    except (CircuitError, ToolchainError) as exc:
        _fail("contribution", exc)
    console.print(f"contribution of {name} written to {out}; publish its hash:")
    typer.echo(step.contribution_hash)


@app.command("verify")
def verify_command(
    directory: Annotated[Path, typer.Argument(help="A turn directory or a finished ceremony.")],
    no_compile: NoCompileOpt = False,
    build_dir: HiddenDir = CIRCUITS_BUILD_DIR,
    ptau_dir: HiddenDir = PTAU_DIR,
) -> None:
    """Verify a ceremony's chain from its files and list its contributors."""
    try:
        with step_progress(console, 1, "ceremony verify") as steps:
            if (directory / TURN_STATE).is_file():
                state = load_turn(directory)
                artifacts = None
                if state.phase == "phase2" and state.circuit is not None:
                    dirs = BuildDirs(circuits=build_dir)
                    artifacts = _artifacts(state.circuit, dirs, not no_compile)
                state = verify_turn(directory, artifacts, ptau_dir, steps.say)
                phase1 = state.ptau.contributors if state.ptau else []
                what = state.circuit or f"power {state.power}"
                lines = [f"{state.phase} ({what}) verifies", *_names(phase1, state.contributors)]
            else:
                record = load_transcript(directory / "transcript.json")
                dirs = BuildDirs(circuits=build_dir)
                artifacts = _artifacts(record.circuit, dirs, not no_compile)
                t = verify_ceremony(artifacts, ptau_dir / record.ptau.file, directory, steps.say)
                phase2 = [s.name or "?" for s in t.phase2[1:]]
                lines = [
                    f"ceremony of {t.circuit} verifies (vk hash {t.vk_hash})",
                    *_names(t.ptau.contributors, phase2),
                ]
    except (CircuitError, ToolchainError) as exc:
        _fail("verification", exc)
    typer.echo("\n".join(lines))


@app.command()
def finish(
    directory: Annotated[Path, typer.Argument(help="The last turn directory.")],
    beacon: BeaconOpt = None,
    install: Annotated[
        bool, typer.Option(help="Phase 2: install the keys in build/keys and regenerate verifiers.")
    ] = False,
    out: Annotated[
        Path, typer.Option("--out", help="Phase 2: where the finished ceremony is written.")
    ] = CEREMONY_DIR,
    no_compile: NoCompileOpt = False,
    build_dir: HiddenDir = CIRCUITS_BUILD_DIR,
    keys_dir: HiddenDir = KEYS_DIR,
    out_dir: HiddenDir = GENERATED_DIR,
    ptau_dir: HiddenDir = PTAU_DIR,
) -> None:
    """Close a ceremony with the public beacon: phase 1 is recorded, phase 2 gives the keys."""
    value = beacon or new_beacon()
    try:
        with step_progress(console, 1, "ceremony finish") as steps:
            state = load_turn(directory)
            if state.phase == "phase1":
                record = finish_phase1_turns(directory, value, ptau_dir, steps.say)
                typer.echo(
                    f"phase 1 (power {record.power}) recorded as {ptau_dir / record.file}; "
                    f"contributors: {', '.join(record.contributors)}"
                )
                return
            dirs = BuildDirs(circuits=build_dir, keys=keys_dir, generated=out_dir)
            assert state.circuit is not None
            artifacts = _artifacts(state.circuit, dirs, not no_compile)
            output = finish_phase2_turns(directory, artifacts, value, out, ptau_dir, steps.say)
            if install:
                steps.say(f"{state.circuit}: installing keys and verifier")
                build_circuit(artifacts, dirs, zkey=output.zkey, transcript=output.transcript_path)
    except (CircuitError, ToolchainError) as exc:
        _fail("finish", exc)
    _summary([output.transcript], {output.transcript.circuit: output.directory})
