"""Single-wire tampering against the R1CS: which wires can change without breaking a constraint.

A sound circuit determines every wire from its inputs, except deliberate free hints (an IsZero
`inv` whose input is 0). `free_wires` changes each wire of an honest witness in turn (+1) and
evaluates only the constraints that mention it; any wire that survives is under-constrained.
"""

from __future__ import annotations

from prover.circuits.errors import WitnessError
from prover.circuits.proof import P
from prover.circuits.r1cs import LinearCombination
from prover.circuits.witness import Witness, WitnessCalculator


def _eval(lc: LinearCombination, w: list[int]) -> int:
    return sum(k * w[i] for i, k in zip(lc[0], lc[1], strict=True))


def free_wires(calc: WitnessCalculator, witness: Witness) -> list[str]:
    """Names of the wires whose +1 change leaves every constraint satisfied."""
    constraints = calc.r1cs.constraints
    uses: dict[int, list[int]] = {}
    for index, (a, b, c) in enumerate(constraints):
        for wire in {*a[0], *b[0], *c[0]}:
            uses.setdefault(wire, []).append(index)
    values = list(witness.values)
    free = []
    for wire in range(1, len(values)):
        original = values[wire]
        values[wire] = (original + 1) % P
        broken = False
        for index in uses.get(wire, []):
            a, b, c = constraints[index]
            if (_eval(a, values) * _eval(b, values) - _eval(c, values)) % P:
                broken = True
                break
        values[wire] = original
        if not broken:
            free.append(calc.symbols.name_of(wire))
    return free


def is_free_zero_test_hint(name: str, calc: WitnessCalculator, witness: Witness) -> bool:
    """An IsZero `inv` hint whose input is 0 (its output is 1): any value satisfies IsZero's
    constraints `out = 1 − in·inv`, `in·out = 0`, and nothing else reads it."""
    if not name.endswith(".isz.inv"):
        return False
    zero_test = name[: -len(".inv")]
    candidates = [zero_test + ".out"]
    parent = zero_test[: -len(".isz")]
    if parent.rsplit(".", 1)[-1].startswith("IsEqual"):
        candidates.append(parent + ".out")  # O2 aliases IsZero.out to IsEqual.out
    for candidate in candidates:
        try:
            out = calc.symbols.wire(candidate)
        except WitnessError:
            continue
        return witness.values[out] == 1
    return False
