"""Soundness of `request`, row 5 of PROTOCOL §6: the signed (or genesis) state of the note.

Failures are shown two ways: the witness generator's asserts (`WitnessError`), and, for values a
prover could put in a witness directly, the R1CS check (`ConstraintViolation`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from prover.circuits.errors import WitnessError
from prover.circuits.inputs import (
    NoteState,
    request_inputs,
)
from prover.circuits.witness import WitnessCalculator
from prover.crypto import (
    BASE8,
    L,
    Point,
    Signature,
    add,
)
from prover.crypto.field import P

from .conftest import OTHER_SK, HonestRequest, World


def _fails(calc: WitnessCalculator, inputs: dict[str, Any]) -> WitnessError:
    with pytest.raises(WitnessError) as info:
        calc.compute_checked(inputs)
    return info.value


def _with(inputs: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**inputs, **changes}


# ---- row 5: state and signature ----------------------------------------------------------------


def test_a_forged_signature_is_rejected(
    request_circuit: WitnessCalculator, honest_request: HonestRequest
) -> None:
    s = honest_request.inputs["sig_S"]
    assert isinstance(s, int)
    _fails(request_circuit, _with(honest_request.inputs, sig_S=(s + 1) % L))
    r8 = list(honest_request.inputs["sig_R8"])  # type: ignore[call-overload]
    other = add(Point(r8[0], r8[1]), BASE8)
    _fails(request_circuit, _with(honest_request.inputs, sig_R8=[other.x, other.y]))


def test_a_signature_scalar_not_below_l_is_rejected(
    request_circuit: WitnessCalculator, honest_request: HonestRequest
) -> None:
    """S + l satisfies S·B8 = R8 + 8h·A as well: only circomlib's S < l check refuses it."""
    s = honest_request.inputs["sig_S"]
    assert isinstance(s, int)
    _fails(request_circuit, _with(honest_request.inputs, sig_S=s + L))


def test_an_off_curve_r8_is_rejected(
    request_circuit: WitnessCalculator, honest_request: HonestRequest
) -> None:
    r8 = list(honest_request.inputs["sig_R8"])  # type: ignore[call-overload]
    error = _fails(request_circuit, _with(honest_request.inputs, sig_R8=[r8[0], r8[1] + 1]))
    assert error.template == "BabyCheck"


def test_a_signature_under_another_key_is_rejected(
    world: World, request_circuit: WitnessCalculator
) -> None:
    note = world.note(5)
    state = world.signed(note, 4, 600, 25, sk=OTHER_SK)
    _fails(request_circuit, request_inputs(note, state, world.service, world.call(note, 4)))


def test_a_valid_signature_under_a_wrong_public_key_input_is_rejected(
    request_circuit: WitnessCalculator, honest_request: HonestRequest
) -> None:
    pk = Point(*honest_request.inputs["server_pk"])  # type: ignore[misc]
    other = add(pk, BASE8)
    _fails(request_circuit, _with(honest_request.inputs, server_pk=[other.x, other.y]))


def test_a_state_signed_for_note_a_is_rejected_with_note_b(
    world: World, request_circuit: WitnessCalculator
) -> None:
    note_a, note_b = world.note(5), world.note(2)
    state_a = world.signed(note_a, 4, 600, 25)
    call = world.call(note_b, 4)
    _fails(request_circuit, request_inputs(note_b, state_a, world.service, call))


def test_a_state_signed_for_another_service_is_rejected(
    world: World, request_circuit: WitnessCalculator
) -> None:
    note = world.note(5)
    other_service = replace(world.service, service_id=world.service.service_id + 1)
    state = world.signed(note, 4, 600, 25)
    _fails(request_circuit, request_inputs(note, state, other_service, world.call(note, 4)))


@pytest.mark.parametrize("field", ["n", "C", "P"])
def test_genesis_with_a_non_zero_counter_is_rejected(
    world: World, request_circuit: WitnessCalculator, field: str
) -> None:
    note = world.note(5)
    inputs = request_inputs(note, world.genesis(note), world.service, world.call(note, 0))
    _fails(request_circuit, _with(inputs, **{field: 1}))


def test_a_non_genesis_state_without_a_signature_is_rejected(
    world: World, request_circuit: WitnessCalculator
) -> None:
    note = world.note(5)
    inputs = request_inputs(note, world.genesis(note), world.service, world.call(note, 0))
    _fails(request_circuit, _with(inputs, is_genesis=0))


def test_a_non_boolean_is_genesis_is_rejected(
    world: World, request_circuit: WitnessCalculator, honest_request: HonestRequest
) -> None:
    # is_genesis = 2 gives enabled = −1 ≠ 0 too; the boolean check must be what refuses it.
    error = _fails(request_circuit, _with(honest_request.inputs, is_genesis=2))
    assert error.template in {"AssertBoolean", "ForceEqualIfEnabled", "SignedState"}
    note = world.note(5)
    genesis = request_inputs(note, world.genesis(note), world.service, world.call(note, 0))
    _fails(request_circuit, _with(genesis, is_genesis=P - 1))


def test_genesis_with_a_dummy_signature_needs_no_server_signature(
    world: World, request_circuit: WitnessCalculator
) -> None:
    note = world.note(6)
    state = NoteState(n=0, C=0, P=0, rho=12345, signature=Signature(R8=BASE8, S=7), is_genesis=True)
    request_circuit.compute_checked(request_inputs(note, state, world.service, world.call(note, 0)))
