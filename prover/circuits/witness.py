"""Witnesses of the compiled circuits: computed in a warm Node process, checked against the r1cs.

Route (TOOLCHAIN.md): circom's own wasm witness calculator in one long-lived Node process
(`prover.circuits.node_witness`), ~10× faster than groth16py's interpreted wasm on
scalar-multiplication-heavy circuits; groth16py is not used here, so no PanicException can arise.

Two independent checks:
  - `compute` fails with `WitnessError` when a circuit assert (`===`) fails during witness
    generation; the error names the template and source line circom reports;
  - `check` evaluates every R1CS constraint `A·w ∘ B·w = C·w` on a witness and raises
    `ConstraintViolation` naming the first broken constraint and its signals. Soundness tests use
    it on tampered witnesses (e.g. a `<--` hint replaced) to show the *constraint system*, not
    just the witness generator, rejects them.
"""

from __future__ import annotations

import re
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from prover.circuits.compiler import CompiledCircuit
from prover.circuits.errors import ConstraintViolation, WitnessError, WitnessFailedError
from prover.circuits.instances import get_instance
from prover.circuits.node_witness import NodeWitnessCalculator
from prover.circuits.proof import P
from prover.circuits.r1cs import R1cs, read_r1cs, read_wtns

_LOCATION: Final = re.compile(r"Error in template (\w+?)_\d+ line: (\d+)")


@dataclass(frozen=True)
class Witness:
    """All wire values (wire 0 is 1); public signals are wires 1..n_public (D6 order)."""

    values: tuple[int, ...]
    n_public: int

    @property
    def public_signals(self) -> list[int]:
        return list(self.values[1 : 1 + self.n_public])

    def with_value(self, wire: int, value: int) -> Witness:
        """A copy with one wire replaced (for soundness tests)."""
        values = list(self.values)
        values[wire] = value % P
        return Witness(tuple(values), self.n_public)


@dataclass
class SymbolTable:
    """circom's `.sym`: signal names ↔ witness wires (`-1` wires were optimised away)."""

    wires: dict[str, int]
    names: dict[int, list[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> SymbolTable:
        wires: dict[str, int] = {}
        names: dict[int, list[str]] = {}
        for line in path.read_text().splitlines():
            parts = line.split(",", 3)
            if len(parts) != 4:
                continue
            wire, name = int(parts[1]), parts[3]
            wires[name] = wire
            if wire >= 0:
                names.setdefault(wire, []).append(name)
        return cls(wires, names)

    def wire(self, name: str) -> int:
        """Wire of a signal (`main.` prefix optional); raises if unknown or optimised away."""
        full = name if name.startswith("main.") else f"main.{name}"
        wire = self.wires.get(full, -1)
        if wire < 0:
            raise WitnessError(f"signal {full} has no witness wire", field=name)
        return wire

    def name_of(self, wire: int) -> str:
        found = self.names.get(wire)
        return found[0] if found else f"wire {wire}"


def witness_error(message: str, main_template: str | None = None) -> WitnessError:
    """Turn circom's witness-calculator message into a located `WitnessError`.

    circom prints one `Error in template T_i line: n` per frame, the failing template first and
    the main template last. Its calculator never clears this buffer, so a warm instance repeats
    every earlier failure before the current one: with `main_template` given, only the frames
    after the last-but-one main frame (the current failure) are read.
    """
    frames = [(t, int(n)) for t, n in _LOCATION.findall(message)]
    if main_template is not None:
        ends = [i for i, (t, _) in enumerate(frames) if t == main_template]
        if len(ends) >= 2:
            frames = frames[ends[-2] + 1 :]
    if not frames:
        return WitnessError(f"witness generation failed: {message.strip()}")
    template, line = frames[0]
    callers = " ← ".join(f"{t}:{n}" for t, n in frames[1:])
    return WitnessError(
        f"constraint failed in template {template}, line {line}"
        + (f" (called from {callers})" if callers else ""),
        template=template,
        line=line,
    )


class WitnessCalculator:
    """Witnesses for one compiled circuit (thread-safe; one warm Node process, lazily started)."""

    def __init__(self, circuit: CompiledCircuit, node: NodeWitnessCalculator | None = None):
        self.circuit = circuit
        self._node = node or NodeWitnessCalculator()
        self._owns_node = node is None
        scratch = "/dev/shm" if Path("/dev/shm").is_dir() else None
        self._scratch = tempfile.TemporaryDirectory(prefix="zkcredits-witness-", dir=scratch)
        self._lock = threading.Lock()
        self._counter = 0
        self._r1cs: R1cs | None = None
        self._main_template = get_instance(circuit.name).template
        self._symbols: SymbolTable | None = None

    @property
    def r1cs(self) -> R1cs:
        if self._r1cs is None:
            self._r1cs = read_r1cs(self.circuit.r1cs)
        return self._r1cs

    @property
    def symbols(self) -> SymbolTable:
        if self._symbols is None:
            self._symbols = SymbolTable.load(self.circuit.sym)
        return self._symbols

    def compute(self, inputs: Mapping[str, Any]) -> Witness:
        """The witness of `inputs`; raises `WitnessError` if a circuit assert fails."""
        with self._lock:
            self._counter += 1
            out = Path(self._scratch.name) / f"{self._counter}.wtns"
            try:
                try:
                    self._node.compute(
                        self.circuit.wasm, self.circuit.witness_calculator_js, inputs, out
                    )
                except WitnessFailedError as exc:
                    if exc.field is not None:  # malformed inputs, named by field: keep as is
                        raise
                    raise witness_error(str(exc), self._main_template) from exc
                values = read_wtns(out)
            finally:
                out.unlink(missing_ok=True)
        return Witness(tuple(values), self.circuit.n_public)

    def check(self, witness: Witness) -> None:
        """Raise `ConstraintViolation` unless the witness satisfies every R1CS constraint."""
        broken = self.r1cs.first_unsatisfied(list(witness.values))
        if broken is None:
            return
        a, b, c = self.r1cs.constraints[broken]
        wires = sorted({w for lc in (a, b, c) for w in lc[0] if w != 0})
        names = tuple(self.symbols.name_of(w) for w in wires)
        shown = ", ".join(names[:6]) + (", …" if len(names) > 6 else "")
        raise ConstraintViolation(
            f"{self.circuit.name}: constraint #{broken} fails (signals: {shown})",
            constraint=broken,
            signals=names,
        )

    def compute_checked(self, inputs: Mapping[str, Any]) -> Witness:
        """`compute`, then `check` (what a prover runs before spending a ticket)."""
        witness = self.compute(inputs)
        self.check(witness)
        return witness

    def satisfies(self, witness: Witness) -> bool:
        try:
            self.check(witness)
        except ConstraintViolation:
            return False
        return True

    def close(self) -> None:
        if self._owns_node:
            self._node.close()
        self._scratch.cleanup()

    def __enter__(self) -> WitnessCalculator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
