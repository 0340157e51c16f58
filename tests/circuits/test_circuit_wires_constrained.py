"""No under-constrained wire: changing any single wire of an honest witness breaks a constraint.

This is the R1CS-level check behind every `<--` in the circuits (BabyAdd/Montgomery hints,
Num2Bits bits, NonZero's inverse, …) and behind "every public input is constrained": a value the
witness generator computes but the constraints do not pin down would survive the change.
The only survivors allowed are IsZero `inv` hints whose input is 0 (free by design, read by
nothing else).
"""

from __future__ import annotations

from prover.circuits.inputs import request_inputs, slash_inputs, withdraw_inputs
from prover.circuits.witness import Witness, WitnessCalculator

from .conftest import HonestRequest, World
from .tamper import free_wires, is_free_zero_test_hint


def _assert_only_free_hints(calc: WitnessCalculator, witness: Witness) -> list[str]:
    free = free_wires(calc, witness)
    unexpected = [name for name in free if not is_free_zero_test_hint(name, calc, witness)]
    assert unexpected == []
    return free


def test_no_wire_of_a_signed_request_witness_is_free(
    request_circuit: WitnessCalculator, honest_request: HonestRequest
) -> None:
    free = _assert_only_free_hints(request_circuit, honest_request.witness)
    # Exactly the depth-matching IsEqual of BinaryMerkleRoot and the two equality checks of the
    # (enabled) signature verifier compare equal values.
    assert len(free) == 3


def test_no_wire_of_a_genesis_request_witness_is_free(
    world: World, request_circuit: WitnessCalculator
) -> None:
    note = world.note(6)
    inputs = request_inputs(note, world.genesis(note), world.service, world.call(note, 0))
    free = _assert_only_free_hints(request_circuit, request_circuit.compute_checked(inputs))
    assert len(free) == 1  # the depth match only: a disabled verifier compares unequal points


def test_no_wire_of_a_withdraw_witness_is_free(
    world: World, withdraw_circuit: WitnessCalculator
) -> None:
    note = world.note(5)
    state = world.signed(note, 4, 600, 25)
    for pending in (False, True):
        inputs = withdraw_inputs(note, state, world.service, 0xBEEF, pending)
        _assert_only_free_hints(withdraw_circuit, withdraw_circuit.compute_checked(inputs))


def test_no_wire_of_a_slash_witness_is_free(slash_circuit: WitnessCalculator) -> None:
    witness = slash_circuit.compute_checked(slash_inputs(424242, 99))
    assert free_wires(slash_circuit, witness) == []
