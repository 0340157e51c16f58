"""Soundness of `withdraw` (PROTOCOL §7): the pending rule, the accounting and the state rules."""

from __future__ import annotations

from typing import Any

import pytest

from prover.circuits.errors import ConstraintViolation, WitnessError
from prover.circuits.inputs import NoteState, expected_withdraw_signals, withdraw_inputs
from prover.circuits.witness import WitnessCalculator
from prover.crypto import L, nullifier, share, slope, withdrawal_point
from prover.crypto.field import P

from .conftest import DEPOSIT, OTHER_SK, World

RECIPIENT = 0x00000000000000000000000000000000DEADBEEF
SIGNALS = [
    "ID", "charged", "penalties", "nullifier_t", "y_w", "service_id", "c_max", "penalty_max",
    "server_pk.x", "server_pk.y", "D", "recipient", "pending",
]  # fmt: skip


def _fails(calc: WitnessCalculator, inputs: dict[str, Any]) -> WitnessError:
    with pytest.raises(WitnessError) as info:
        calc.compute_checked(inputs)
    return info.value


@pytest.mark.parametrize("pending", [False, True])
@pytest.mark.parametrize("genesis", [False, True], ids=["signed", "genesis"])
def test_an_honest_withdrawal_passes_and_outputs_equal_the_python_twin(
    world: World, withdraw_circuit: WitnessCalculator, pending: bool, genesis: bool
) -> None:
    note = world.note(5)
    state = world.genesis(note) if genesis else world.signed(note, 4, 600, 25)
    inputs = withdraw_inputs(note, state, world.service, RECIPIENT, pending)
    witness = withdraw_circuit.compute_checked(inputs)
    expected = expected_withdraw_signals(note, state, world.service, RECIPIENT, pending)
    assert witness.public_signals == expected


def test_a_pending_exit_pays_c_max_and_penalty_max_and_shows_ticket_n_plus_one(
    world: World, withdraw_circuit: WitnessCalculator
) -> None:
    note, svc = world.note(5), world.service
    state = world.signed(note, 4, 600, 25)
    out = {
        pending: dict(
            zip(
                SIGNALS,
                withdraw_circuit.compute_checked(
                    withdraw_inputs(note, state, svc, RECIPIENT, pending)
                ).public_signals,
                strict=True,
            )
        )
        for pending in (False, True)
    }
    assert (out[False]["charged"], out[False]["penalties"]) == (600, 25)
    assert (out[True]["charged"], out[True]["penalties"]) == (600 + 50, 25 + 25)
    x_w = withdrawal_point(svc.service_id)
    for pending, ticket in ((False, 4), (True, 5)):
        a = slope(note.k, ticket, svc.service_id)
        assert out[pending]["nullifier_t"] == nullifier(a)
        assert out[pending]["y_w"] == share(note.k, a, x_w)


def test_a_withdrawal_at_exactly_the_deposit_passes_and_one_unit_over_is_refused(
    world: World, withdraw_circuit: WitnessCalculator
) -> None:
    note, svc = world.note(5), world.service
    c_at_limit = DEPOSIT - svc.c_max - 2 * svc.penalty_max  # pending: C+c_max + P+penalty_max
    at_limit = world.signed(note, 9, c_at_limit, svc.penalty_max)
    withdraw_circuit.compute_checked(withdraw_inputs(note, at_limit, svc, RECIPIENT, True))
    over = world.signed(note, 9, c_at_limit + 1, svc.penalty_max)
    _fails(withdraw_circuit, withdraw_inputs(note, over, svc, RECIPIENT, True))
    # the same over-limit state without pending is covered: pending adds exactly c_max + p_max
    withdraw_circuit.compute_checked(withdraw_inputs(note, over, svc, RECIPIENT, False))


def test_a_smaller_deposit_than_the_charges_is_refused(
    world: World, withdraw_circuit: WitnessCalculator
) -> None:
    note = world.note(5)
    inputs = withdraw_inputs(note, world.signed(note, 4, 600, 25), world.service, RECIPIENT, False)
    withdraw_circuit.compute_checked({**inputs, "D": 625})
    _fails(withdraw_circuit, {**inputs, "D": 624})


@pytest.mark.parametrize("pending", [2, P - 1])
def test_a_non_boolean_pending_is_refused(
    world: World, withdraw_circuit: WitnessCalculator, pending: int
) -> None:
    note = world.note(5)
    inputs = withdraw_inputs(note, world.genesis(note), world.service, RECIPIENT, False)
    _fails(withdraw_circuit, {**inputs, "pending": pending})


@pytest.mark.parametrize(
    ("field", "value"), [("c_max", 1 << 64), ("penalty_max", P - 1), ("D", 1 << 64), ("C", P - 600)]
)
def test_out_of_range_amounts_are_refused(
    world: World, withdraw_circuit: WitnessCalculator, field: str, value: int
) -> None:
    note = world.note(5)
    inputs = withdraw_inputs(note, world.signed(note, 4, 600, 25), world.service, RECIPIENT, True)
    _fails(withdraw_circuit, {**inputs, field: value})


def test_a_forged_or_foreign_signature_is_refused(
    world: World, withdraw_circuit: WitnessCalculator
) -> None:
    note, svc = world.note(5), world.service
    honest = withdraw_inputs(note, world.signed(note, 4, 600, 25), svc, RECIPIENT, False)
    s = honest["sig_S"]
    assert isinstance(s, int)
    _fails(withdraw_circuit, {**honest, "sig_S": (s + 1) % L})
    _fails(withdraw_circuit, {**honest, "sig_S": s + L})
    wrong_key = world.signed(note, 4, 600, 25, sk=OTHER_SK)
    _fails(withdraw_circuit, withdraw_inputs(note, wrong_key, svc, RECIPIENT, False))


def test_a_lower_charge_than_the_signed_state_is_refused(
    world: World, withdraw_circuit: WitnessCalculator
) -> None:
    note = world.note(5)
    honest = withdraw_inputs(note, world.signed(note, 4, 600, 25), world.service, RECIPIENT, False)
    _fails(withdraw_circuit, {**honest, "C": 599})
    _fails(withdraw_circuit, {**honest, "P": 0})
    _fails(withdraw_circuit, {**honest, "n": 3})  # a stale ticket index


def test_a_state_signed_for_note_a_cannot_withdraw_note_b(
    world: World, withdraw_circuit: WitnessCalculator
) -> None:
    note_a, note_b = world.note(5), world.note(2)
    state_a = world.signed(note_a, 4, 600, 25)
    _fails(withdraw_circuit, withdraw_inputs(note_b, state_a, world.service, RECIPIENT, False))


@pytest.mark.parametrize("field", ["n", "C", "P"])
def test_a_genesis_withdrawal_with_a_non_zero_counter_is_refused(
    world: World, withdraw_circuit: WitnessCalculator, field: str
) -> None:
    note = world.note(5)
    inputs = withdraw_inputs(note, world.genesis(note), world.service, RECIPIENT, False)
    _fails(withdraw_circuit, {**inputs, field: 1})


def test_genesis_cannot_be_claimed_for_a_signed_state_with_charges(
    world: World, withdraw_circuit: WitnessCalculator
) -> None:
    note = world.note(5)
    signed = world.signed(note, 4, 600, 25)
    as_genesis = NoteState(n=4, C=600, P=25, rho=signed.rho, signature=None, is_genesis=True)
    _fails(withdraw_circuit, withdraw_inputs(note, as_genesis, world.service, RECIPIENT, False))


@pytest.mark.parametrize("position", range(13), ids=SIGNALS)
def test_every_tampered_public_signal_breaks_the_constraints(
    world: World, withdraw_circuit: WitnessCalculator, position: int
) -> None:
    note = world.note(5)
    inputs = withdraw_inputs(note, world.signed(note, 4, 600, 25), world.service, RECIPIENT, True)
    witness = _honest_witness(withdraw_circuit, inputs)
    tampered = witness.with_value(1 + position, witness.values[1 + position] + 1)
    with pytest.raises(ConstraintViolation):
        withdraw_circuit.check(tampered)


_CACHE: dict[str, Any] = {}


def _honest_witness(calc: WitnessCalculator, inputs: dict[str, Any]) -> Any:
    key = repr(sorted(inputs.items()))
    if key not in _CACHE:
        _CACHE[key] = calc.compute_checked(inputs)
    return _CACHE[key]
