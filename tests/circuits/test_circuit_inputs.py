"""Input builders: malformed or non-canonical values raise a typed error naming the field."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from prover.circuits.errors import CircuitError, CircuitInputError, MalformedInputsError
from prover.circuits.inputs import (
    CallParams,
    Note,
    NoteState,
    ServiceParams,
    request_inputs,
    slash_inputs,
    withdraw_inputs,
)
from prover.circuits.witness import WitnessCalculator
from prover.crypto import L, LeanIMT, Signature
from prover.crypto.field import P
from prover.errors import ZkCreditsError

from .conftest import World


def _field_of(factory: Any, *args: Any, **kwargs: Any) -> str | None:
    with pytest.raises(CircuitInputError) as info:
        factory(*args, **kwargs)
    assert isinstance(info.value, MalformedInputsError | CircuitError | ZkCreditsError)
    return info.value.field


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"k": 0}, "k"),
        ({"k": P}, "k"),
        ({"k": -1}, "k"),
        ({"k": True}, "k"),
        ({"D": 1 << 64}, "D"),
        ({"expiry": "20000"}, "expiry"),
    ],
)
def test_a_malformed_note_is_refused_by_field(changes: dict[str, Any], field: str) -> None:
    values = {"k": 5, "D": 1000, "expiry": 20000, **changes}
    assert _field_of(Note, **values) == field


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"n": 1 << 32}, "n"),
        ({"C": 1 << 64}, "C"),
        ({"P": -1}, "P"),
        ({"rho": L}, "rho"),
        ({"signature": None}, "signature"),
        ({"signature": "sig"}, "signature"),
        ({"is_genesis": 1}, "is_genesis"),
    ],
)
def test_a_malformed_state_is_refused_by_field(changes: dict[str, Any], field: str) -> None:
    from prover.crypto import BASE8

    values = {"n": 1, "C": 2, "P": 0, "rho": 3, "signature": Signature(BASE8, 1), **changes}
    assert _field_of(NoteState, **values) == field


def test_malformed_service_and_call_parameters_are_refused_by_field(world: World) -> None:
    svc = world.service
    assert _field_of(replace, svc, service_id=P) == "service_id"
    assert _field_of(replace, svc, c_max=1 << 64) == "c_max"
    assert _field_of(replace, svc, server_pk=(1, 2)) == "server_pk"
    assert _field_of(CallParams, x=P, today=1, eta=1) == "x"
    assert _field_of(CallParams, x=1, today=1 << 64, eta=1) == "today"
    assert _field_of(CallParams, x=1, today=1, eta=L) == "eta"
    assert isinstance(svc, ServiceParams)


def test_a_proof_of_another_max_depth_or_none_is_refused(world: World) -> None:
    note = world.note(1)
    state, call = world.genesis(note), world.call(note, 0)
    assert _field_of(request_inputs, note, state, world.service, call, 16) == "proof.siblings"
    no_proof = Note(k=note.k, D=note.D, expiry=note.expiry)
    assert _field_of(request_inputs, no_proof, state, world.service, call) == "proof"


def test_withdraw_and_slash_builders_refuse_bad_recipient_pending_and_k(world: World) -> None:
    note = world.note(1)
    state = world.genesis(note)
    assert _field_of(withdraw_inputs, note, state, world.service, 1 << 160, False) == "recipient"
    assert _field_of(withdraw_inputs, note, state, world.service, 1, 1) == "pending"
    assert _field_of(slash_inputs, P, 1) == "k"
    assert _field_of(slash_inputs, 1, -5) == "service_id"


def test_request_inputs_carry_every_signal_of_the_circuit(
    world: World, request_circuit: WitnessCalculator
) -> None:
    note = world.note(1)
    inputs = request_inputs(note, world.genesis(note), world.service, world.call(note, 0))
    assert inputs["sig_R8"] is not None and inputs["is_genesis"] == 1
    for name in inputs:
        request_circuit.symbols.wire(
            name if name not in {"sig_R8", "server_pk", "indices", "siblings"} else f"{name}[0]"
        )


def test_a_tree_proof_with_depth_zero_has_the_circuit_shape() -> None:
    tree = LeanIMT([12345])
    proof = tree.proof(0)
    note = Note(k=1, D=1, expiry=1, proof=proof)
    assert note.merkle_proof(20).depth == 0


def test_a_recipient_address_becomes_its_160_bit_integer() -> None:
    from prover.circuits.inputs import recipient_signal

    assert recipient_signal("0x" + "00" * 19 + "2a") == 42
    assert recipient_signal(bytes(range(20))) == int.from_bytes(bytes(range(20)), "big")
    assert _field_of(recipient_signal, "0x1234") == "recipient"
