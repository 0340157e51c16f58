"""snarkjs (node_modules/.bin/snarkjs) as an independent reference and for the ceremony.

Every helper runs the CLI in a child process and raises `SnarkjsError` (with snarkjs's output)
when it fails. Entropy for contributions is passed on stdin, never on the command line (where
`ps` would show it) and never logged.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from prover.circuits.errors import SnarkjsError
from prover.toolchain.checkout import in_checkout
from prover.toolchain.paths import REPO_ROOT, node_bin

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run(
    args: Sequence[str | Path], *, stdin: str | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run `snarkjs <args>`; output is captured (stdin, if any, is not echoed anywhere)."""
    cmd = [str(node_bin("snarkjs")), *(str(a) for a in args)]
    proc = subprocess.run(
        cmd,
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT if in_checkout() else None,
        check=False,
    )
    proc = subprocess.CompletedProcess(
        proc.args, proc.returncode, _ANSI.sub("", proc.stdout), _ANSI.sub("", proc.stderr)
    )
    if check and (proc.returncode != 0 or _reports_error(proc.stdout + proc.stderr)):
        raise SnarkjsError(
            f"snarkjs {args[0]} {args[1] if len(args) > 1 else ''} failed "
            f"(exit {proc.returncode}): {(proc.stdout + proc.stderr).strip()[-2000:]}",
            field=str(args[0]),
        )
    return proc


def _reports_error(output: str) -> bool:
    # snarkjs logs some failures ("[ERROR] snarkJS: ...") and still exits 0 in a few commands.
    return "[ERROR]" in output


def labelled_hashes(output: str) -> list[tuple[str, str]]:
    """Every (title, 128-hex-digit hash) snarkjs printed, in order.

    snarkjs prints a hash as a title line ending in `:` then four lines of four 8-digit words.
    """
    found = []
    lines = [line.strip() for line in output.splitlines()]
    for i, line in enumerate(lines):
        if not line.endswith(":"):
            continue
        words = re.findall(r"\b[0-9a-f]{8}\b", " ".join(lines[i + 1 : i + 5]))
        if len(words) == 16 and all(
            re.fullmatch(r"(?:[0-9a-f]{8} ?){4}", x) for x in lines[i + 1 : i + 5]
        ):
            title = line.rpartition("snarkJS:")[2].rstrip(":").strip()
            found.append((title, "".join(words)))
    return found


def hashes_titled(output: str, title: str) -> list[str]:
    """The hashes printed under exactly `title` (case-sensitive), in order."""
    return [h for t, h in labelled_hashes(output) if t == title]


def export_verification_key(zkey: Path) -> dict[str, Any]:
    """`snarkjs zkey export verificationkey` → the vk dict."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "vk.json"
        run(["zkey", "export", "verificationkey", zkey, out])
        data: dict[str, Any] = json.loads(out.read_text())
        return data


def wtns_calculate(wasm: Path, inputs: Mapping[str, Any], out: Path) -> None:
    """`snarkjs wtns calculate` (the reference witness generator)."""
    with tempfile.TemporaryDirectory() as tmp:
        input_json = Path(tmp) / "input.json"
        input_json.write_text(json.dumps(inputs))
        run(["wtns", "calculate", wasm, input_json, out])


def groth16_prove(zkey: Path, wtns: Path) -> tuple[dict[str, Any], list[str]]:
    """`snarkjs groth16 prove` → (proof.json dict, public signals)."""
    with tempfile.TemporaryDirectory() as tmp:
        proof, public = Path(tmp) / "proof.json", Path(tmp) / "public.json"
        run(["groth16", "prove", zkey, wtns, proof, public])
        return json.loads(proof.read_text()), json.loads(public.read_text())


def groth16_fullprove(
    inputs: Mapping[str, Any], wasm: Path, zkey: Path
) -> tuple[dict[str, Any], list[str]]:
    """`snarkjs groth16 fullprove` (witness + proof in one call)."""
    with tempfile.TemporaryDirectory() as tmp:
        input_json = Path(tmp) / "input.json"
        input_json.write_text(json.dumps(inputs))
        proof, public = Path(tmp) / "proof.json", Path(tmp) / "public.json"
        run(["groth16", "fullprove", input_json, wasm, zkey, proof, public])
        return json.loads(proof.read_text()), json.loads(public.read_text())


def groth16_verify(
    vk: Mapping[str, Any], public_signals: Sequence[str], proof: Mapping[str, Any]
) -> bool:
    """`snarkjs groth16 verify`: True iff it prints OK (a refusal is False, not an error)."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = {name: Path(tmp) / f"{name}.json" for name in ("vk", "public", "proof")}
        paths["vk"].write_text(json.dumps(vk))
        paths["public"].write_text(json.dumps(list(public_signals)))
        paths["proof"].write_text(json.dumps(proof))
        proc = run(["groth16", "verify", paths["vk"], paths["public"], paths["proof"]], check=False)
        return proc.returncode == 0 and "OK!" in proc.stdout
