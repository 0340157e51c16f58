"""circom's inspector (`circom2 --inspect`) over every circuit instance; any warning fails.

Each instance of `circuits/instances.json` is rendered to its main component (exactly what
`compiler.py` compiles) and inspected with the same include paths, without producing output.
A warning in a template of the project (`circuits/**/*.circom`) is a failure: the fix is in the
template (e.g. `_ <== x` for a deliberately unused output, which adds no constraint).

Templates from circomlib are read-only here (`node_modules`). The inspector warns about a few of
them (outputs of their own sub-components they leave unused on purpose, e.g. the bits of
`LessThan`'s `Num2Bits`); those are listed in `UPSTREAM_WARNINGS` with the reason, and any other
warning in a template outside the project, or a new kind of warning, fails as well.

Run: `.venv/bin/python -m prover.circuits.lint` (scripts/test.sh does; 5-35 s).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from prover.circuits.artifacts import CIRCUITS_BUILD_DIR
from prover.circuits.compiler import CIRCUITS_SRC, INCLUDE_DIRS
from prover.circuits.errors import ArtifactError
from prover.circuits.instances import load_instances
from prover.toolchain.paths import REPO_ROOT, node_bin

UPSTREAM_WARNINGS: Final[dict[tuple[str, str], str]] = {
    ("CA02", "LessThan"): "circomlib comparators.circom: uses only bit n of Num2Bits(n+1)",
    ("CA02", "CompConstant"): "circomlib compconstant.circom: uses only bit 127 of its sum",
    ("CA02", "EscalarMulFix"): "circomlib escalarmulfix.circom: the last segment's dbl is unused",
    ("CA02", "EscalarMulAny"): "circomlib escalarmulany.circom: the last segment's dbl is unused",
}
"""(code, template) pairs of warnings inside circomlib, which this project cannot edit."""

_ANSI: Final = re.compile(r"\x1b\[[0-9;]*m")
_WARNING: Final = re.compile(r"^warning\[(?P<code>[A-Z0-9]+)\]: (?P<message>.*)$", re.MULTILINE)
_IN_TEMPLATE: Final = re.compile(r'In template "(?P<template>[A-Za-z_][A-Za-z0-9_]*)')
_TEMPLATE_DEF: Final = re.compile(
    r"^\s*template\s+(?:parallel\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*\(", re.MULTILINE
)


@dataclass(frozen=True)
class InspectorWarning:
    """One warning of `circom --inspect`; `template` is the base name ("" if none is named)."""

    code: str
    template: str
    message: str


def project_templates(source_dir: Path = CIRCUITS_SRC) -> frozenset[str]:
    """Names of the templates defined in the project's .circom files."""
    names: set[str] = set()
    for path in sorted(source_dir.rglob("*.circom")):
        names.update(m.group(1) for m in _TEMPLATE_DEF.finditer(path.read_text()))
    return frozenset(names)


def parse_warnings(output: str) -> list[InspectorWarning]:
    """The warnings in circom's output (colour codes stripped)."""
    warnings = []
    for match in _WARNING.finditer(_ANSI.sub("", output)):
        message = match.group("message").strip()
        template = _IN_TEMPLATE.search(message)
        warnings.append(
            InspectorWarning(
                match.group("code"), template.group("template") if template else "", message
            )
        )
    return warnings


def problems(warnings: list[InspectorWarning], own: frozenset[str]) -> list[InspectorWarning]:
    """The warnings that fail the lint: all but the listed circomlib ones."""
    return [
        w
        for w in warnings
        if w.template in own or not w.template or (w.code, w.template) not in UPSTREAM_WARNINGS
    ]


def inspect_main(name: str, main_source: str) -> list[InspectorWarning]:
    """Run `circom2 --inspect` on one main component; a compile error raises `ArtifactError`."""
    CIRCUITS_BUILD_DIR.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".lint-{name}-", dir=CIRCUITS_BUILD_DIR))
    try:
        main = work / f"{name}.circom"
        main.write_text(main_source)
        command = [str(node_bin("circom2")), main.relative_to(REPO_ROOT).as_posix(), "--inspect"]
        for directory in INCLUDE_DIRS:
            command += ["-l", directory.relative_to(REPO_ROOT).as_posix() or "."]
        # circom2 runs in a WASI sandbox that sees only its working directory (compiler.py).
        proc = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    output = proc.stdout + proc.stderr
    if proc.returncode != 0 or "Everything went okay" not in output:
        raise ArtifactError(f"circom2 --inspect failed on {name}:\n{output[-2000:]}", field=name)
    return parse_warnings(output)


def lint_instances() -> dict[str, list[InspectorWarning]]:
    """The failing warnings of every instance (an empty list per clean instance)."""
    own = project_templates()
    return {
        name: problems(inspect_main(name, instance.main_source()), own)
        for name, instance in load_instances().items()
    }


def main() -> int:
    failed = False
    for name, found in lint_instances().items():
        print(f"circom --inspect {name}: {len(found)} warning(s)")
        for warning in found:
            failed = True
            print(f"  warning[{warning.code}] {warning.message}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
