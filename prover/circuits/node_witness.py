"""A warm Node process running circom's own `witness_calculator.js` (one per `Prover`).

groth16py's in-process witness runs the circuit's wasm under an interpreter (slow on
scalar-multiplication-heavy circuits); circom's wasm under Node's JIT, kept warm, is several times
faster. The process is spawned once, reused for every call, and stopped by its own handle.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final

from prover.circuits.errors import MalformedInputsError, WitnessFailedError
from prover.circuits.proof import P
from prover.toolchain.process import end_piped_process

SERVER_JS: Final = Path(__file__).parent / "js" / "witness_server.cjs"

InputValue = int | str | list[Any]


def normalize_inputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Inputs as decimal strings (nested lists kept); non-canonical values are refused by name."""
    if not isinstance(inputs, Mapping):
        raise MalformedInputsError("inputs must be a mapping of signal names", field="inputs")
    out: dict[str, Any] = {}
    for name, value in inputs.items():
        if not isinstance(name, str) or not name:
            raise MalformedInputsError(f"input name {name!r} is not a string", field=str(name))
        out[name] = _normalize(value, name)
    return out


def _normalize(value: object, name: str) -> Any:
    if isinstance(value, (list, tuple)):
        return [_normalize(v, f"{name}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, str):
        if not value.isdigit() or (len(value) > 1 and value[0] == "0"):
            raise MalformedInputsError(f"{name} is not a canonical decimal: {value!r}", field=name)
        number = int(value)
    elif type(value) is int:
        number = value
    else:
        raise MalformedInputsError(
            f"{name} must be an int, a decimal string or a list, got {type(value).__name__}",
            field=name,
        )
    if not 0 <= number < P:
        raise MalformedInputsError(f"{name} is not a field element in [0, p): {number}", field=name)
    return str(number)


class NodeWitnessCalculator:
    """Computes `.wtns` files in one long-lived `node` process (thread-safe, lazily started)."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    def _start(self) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            ["node", str(SERVER_JS)],
            cwd=SERVER_JS.parent,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        ready = self._read_reply(proc)
        if not ready.get("ready"):
            proc.kill()
            raise WitnessFailedError("the witness server did not start", field="node")
        return proc

    @staticmethod
    def _read_reply(proc: subprocess.Popen[str]) -> dict[str, Any]:
        stdout: IO[str] | None = proc.stdout
        line = stdout.readline() if stdout is not None else ""
        if not line:
            raise WitnessFailedError("the witness server exited unexpectedly", field="node")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def compute(
        self, wasm: Path, calculator_js: Path, inputs: Mapping[str, Any], out: Path
    ) -> None:
        """Write the witness of `inputs` to `out`; a failed circuit assert names the template."""
        request = json.dumps(
            {
                "wasm": str(wasm),
                "wcjs": str(calculator_js),
                "input": normalize_inputs(inputs),
                "out": str(out),
            }
        )
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._proc = self._start()
            proc = self._proc
            assert proc.stdin is not None
            try:
                proc.stdin.write(request + "\n")
                proc.stdin.flush()
                reply = self._read_reply(proc)
            except (BrokenPipeError, WitnessFailedError):
                self._proc = None
                raise
        if not reply.get("ok"):
            raise WitnessFailedError(f"witness calculation failed: {reply.get('error')}")

    def close(self) -> None:
        """Stop the Node process (ours, by its handle)."""
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is not None:
            end_piped_process(proc, timeout=5)

    def __enter__(self) -> NodeWitnessCalculator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()
