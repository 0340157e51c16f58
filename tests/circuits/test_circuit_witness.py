"""The witness layer: typed, located errors; malformed inputs named; honest witnesses satisfy
the r1cs; a warm calculator stays correct after failures."""

from __future__ import annotations

import pytest

from prover.circuits.errors import (
    CircuitError,
    ConstraintViolation,
    MalformedInputsError,
    WitnessError,
    WitnessFailedError,
)
from prover.circuits.inputs import slash_inputs
from prover.circuits.witness import WitnessCalculator, witness_error
from prover.crypto.field import P
from prover.errors import ZkCreditsError

from .conftest import HonestRequest, World


def test_a_failed_assert_names_the_innermost_template_and_line(
    request_circuit: WitnessCalculator, honest_request: HonestRequest
) -> None:
    with pytest.raises(WitnessError) as info:
        request_circuit.compute({**honest_request.inputs, "x": 0})
    error = info.value
    assert isinstance(error, WitnessFailedError | CircuitError | ZkCreditsError)
    assert error.template == "NonZero" and error.line is not None and error.line > 0
    assert "Request" in str(error)  # the caller chain is kept in the message


def test_errors_after_earlier_failures_still_name_the_new_failure(
    world: World, request_circuit: WitnessCalculator, honest_request: HonestRequest
) -> None:
    for _ in range(2):
        with pytest.raises(WitnessError) as first:
            request_circuit.compute({**honest_request.inputs, "x": 0})
        assert first.value.template == "NonZero"
        with pytest.raises(WitnessError) as second:
            request_circuit.compute({**honest_request.inputs, "n": 1 << 32})
        assert second.value.template == "Num2Bits"
    # and the same warm process still computes honest witnesses afterwards
    again = request_circuit.compute_checked(honest_request.inputs)
    assert again.public_signals == honest_request.expected


def test_witness_error_parses_circom_messages() -> None:
    message = (
        "Assert Failed.\nError in template Num2Bits_12 line: 38\n"
        "Error in template SignedState_3 line: 51\n"
    )
    error = witness_error(message)
    assert (error.template, error.line) == ("Num2Bits", 38)
    repeated = (
        "Assert Failed.\nError in template NonZero_1 line: 31\nError in template Request_9 line: "
        "105\nError in template Num2Bits_12 line: 38\nError in template SignedState_3 line: 51\n"
        "Error in template Request_9 line: 120\n"
    )
    latest = witness_error(repeated, "Request")
    assert (latest.template, latest.line) == ("Num2Bits", 38)
    in_main = witness_error(repeated + "Error in template Request_9 line: 77\n", "Request")
    assert (in_main.template, in_main.line) == ("Request", 77)
    unlocated = witness_error("Not enough memory.\n")
    assert unlocated.template is None and "Not enough memory" in str(unlocated)


def test_non_canonical_or_missing_inputs_are_refused(
    slash_circuit: WitnessCalculator,
) -> None:
    with pytest.raises(MalformedInputsError) as info:
        slash_circuit.compute({"k": P, "service_id": 1})
    assert info.value.field == "k"
    with pytest.raises(WitnessError):
        slash_circuit.compute({"k": 1})


def test_a_constraint_violation_names_the_broken_constraint_and_its_signals(
    request_circuit: WitnessCalculator, honest_request: HonestRequest
) -> None:
    witness = honest_request.witness
    wire = request_circuit.symbols.wire("nullifier")
    with pytest.raises(ConstraintViolation) as info:
        request_circuit.check(witness.with_value(wire, 0))
    assert "main.nullifier" in info.value.signals
    assert info.value.constraint >= 0
    assert not request_circuit.satisfies(witness.with_value(wire, 0))
    assert request_circuit.satisfies(witness)


def test_a_tampered_hint_signal_is_caught_by_the_constraints_not_only_the_generator(
    request_circuit: WitnessCalculator, honest_request: HonestRequest
) -> None:
    """`NonZero.inv <-- 1/x`: a replaced hint (a malicious prover's) breaks `x·inv = 1`."""
    names = [n for n in request_circuit.symbols.wires if n.endswith(".inv") and "NonZero" in n]
    assert len(names) == 2  # root ≠ 0 and x ≠ 0
    for name in names:
        wire = request_circuit.symbols.wire(name)
        with pytest.raises(ConstraintViolation):
            request_circuit.check(honest_request.witness.with_value(wire, 0))


def test_slash_inputs_give_a_checked_witness(slash_circuit: WitnessCalculator) -> None:
    witness = slash_circuit.compute_checked(slash_inputs(5, 6))
    assert witness.values[0] == 1 and len(witness.public_signals) == 2
