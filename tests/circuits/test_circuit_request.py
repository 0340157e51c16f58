"""Soundness of `request` (PROTOCOL §6): every row's honest witness passes, tampered ones fail.

Failures are shown two ways: the witness generator's asserts (`WitnessError`), and, for values a
prover could put in a witness directly, the R1CS check (`ConstraintViolation`).
"""

from __future__ import annotations

from typing import Any

import pytest

from prover.circuits.errors import ConstraintViolation, WitnessError
from prover.circuits.inputs import (
    CallParams,
    Note,
    NoteState,
    expected_request_signals,
    request_inputs,
)
from prover.circuits.witness import WitnessCalculator
from prover.crypto import (
    L,
    LeanIMT,
    Opening,
    Point,
    commit,
    leaf,
    next_commitment,
    next_opening,
    note_id,
    poseidon,
    rerandomise,
    sign_state,
)
from prover.crypto.field import P
from prover.crypto.tags import TAG_LEAF

from .conftest import DEPOSIT, EXPIRY, TODAY, HonestRequest, World

U32, U64 = 1 << 32, 1 << 64


def _fails(calc: WitnessCalculator, inputs: dict[str, Any]) -> WitnessError:
    with pytest.raises(WitnessError) as info:
        calc.compute_checked(inputs)
    return info.value


def _with(inputs: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**inputs, **changes}


# ---- honest witnesses --------------------------------------------------------------------------


def test_an_honest_signed_call_passes_and_outputs_equal_the_python_twin(
    honest_request: HonestRequest,
) -> None:
    assert honest_request.witness.public_signals == honest_request.expected


@pytest.mark.parametrize("index", range(7))
def test_a_genesis_call_passes_for_every_leaf_of_the_tree(
    world: World, request_circuit: WitnessCalculator, index: int
) -> None:
    note = world.note(index)
    state, call = world.genesis(note), world.call(note, 0)
    witness = request_circuit.compute_checked(request_inputs(note, state, world.service, call))
    assert witness.public_signals == expected_request_signals(note, state, world.service, call)


def test_a_one_leaf_tree_of_depth_zero_passes(
    world: World, request_circuit: WitnessCalculator
) -> None:
    k = world.secrets[0]
    tree = LeanIMT([leaf(note_id(k), DEPOSIT, EXPIRY)])
    note = Note(k=k, D=DEPOSIT, expiry=EXPIRY, proof=tree.proof(0))
    assert note.proof is not None and note.proof.depth == 0
    state, call = world.genesis(note), world.call(note, 0)
    witness = request_circuit.compute_checked(request_inputs(note, state, world.service, call))
    assert witness.public_signals[4] == tree.root == leaf(note.id, DEPOSIT, EXPIRY)


def test_the_state_the_gateway_signs_after_a_call_opens_to_the_clients_next_state(
    world: World, request_circuit: WitnessCalculator
) -> None:
    """§6 step 5 and the client update: genesis → call → signed E_new → next call passes."""
    note, sid = world.note(3), world.service.service_id
    state = world.genesis(note)
    for n, (cost, penalty) in enumerate([(40, 0), (7, 25), (0, 0)]):
        call = world.call(note, n, x=1 + n)
        witness = request_circuit.compute_checked(request_inputs(note, state, world.service, call))
        e_anon = Point(witness.public_signals[2], witness.public_signals[3])
        e_new = next_commitment(e_anon, cost, penalty)
        opening = next_opening(state.opening(note), call.eta, cost, penalty)
        assert commit(opening) == e_new
        sig = sign_state(world.server_sk, sid, e_new)
        state = NoteState(n=opening.n, C=opening.C, P=opening.P, rho=opening.rho, signature=sig)
    assert (state.n, state.C, state.P) == (3, 47, 25)


# ---- row 1: membership -------------------------------------------------------------------------


def test_a_tampered_merkle_sibling_is_rejected(
    request_circuit: WitnessCalculator, honest_request: HonestRequest
) -> None:
    siblings = list(honest_request.inputs["siblings"])  # type: ignore[call-overload]
    siblings[0] = (siblings[0] + 1) % P
    _fails(request_circuit, _with(honest_request.inputs, siblings=siblings))


def test_a_flipped_merkle_path_index_is_rejected(
    request_circuit: WitnessCalculator, honest_request: HonestRequest
) -> None:
    indices = list(honest_request.inputs["indices"])  # type: ignore[call-overload]
    indices[1] = 1 - indices[1]
    _fails(request_circuit, _with(honest_request.inputs, indices=indices))


def test_a_non_boolean_path_index_is_rejected(
    request_circuit: WitnessCalculator, honest_request: HonestRequest
) -> None:
    for level in (0, 19):  # a used level and a padding level
        indices = list(honest_request.inputs["indices"])  # type: ignore[call-overload]
        indices[level] = 2
        _fails(request_circuit, _with(honest_request.inputs, indices=indices))


def test_another_root_is_rejected(
    world: World, request_circuit: WitnessCalculator, honest_request: HonestRequest
) -> None:
    _fails(request_circuit, _with(honest_request.inputs, root=world.tree.root + 1))


def test_root_zero_is_rejected_even_with_a_path_that_computes_zero(
    request_circuit: WitnessCalculator, honest_request: HonestRequest
) -> None:
    # depth 21 > MAX_DEPTH makes BinaryMerkleRoot output 0: only `root ≠ 0` stops root = 0.
    error = _fails(request_circuit, _with(honest_request.inputs, root=0, depth=21))
    assert error.template == "NonZero"


@pytest.mark.parametrize("depth", [21, 22, 2**32, 2])
def test_a_depth_above_max_depth_or_other_than_the_proofs_is_rejected(
    request_circuit: WitnessCalculator, honest_request: HonestRequest, depth: int
) -> None:
    assert honest_request.inputs["depth"] == 3
    _fails(request_circuit, _with(honest_request.inputs, depth=depth))


def test_a_note_with_another_deposit_or_expiry_than_its_leaf_is_rejected(
    request_circuit: WitnessCalculator, honest_request: HonestRequest
) -> None:
    _fails(request_circuit, _with(honest_request.inputs, D=DEPOSIT + 1))
    _fails(request_circuit, _with(honest_request.inputs, expiry=EXPIRY + 1))


# ---- row 2: expiry -----------------------------------------------------------------------------


def test_an_expired_note_is_rejected_and_the_last_day_passes(
    world: World, request_circuit: WitnessCalculator
) -> None:
    note = world.note(1)
    state = world.genesis(note)
    last_day = world.call(note, 0, today=EXPIRY)
    request_circuit.compute_checked(request_inputs(note, state, world.service, last_day))
    expired = world.call(note, 0, today=EXPIRY + 1)
    _fails(request_circuit, request_inputs(note, state, world.service, expired))


def test_a_today_beyond_64_bits_is_rejected(
    request_circuit: WitnessCalculator, honest_request: HonestRequest
) -> None:
    _fails(request_circuit, _with(honest_request.inputs, today=P - 1))


# ---- row 3 and 4: ranges and solvency ----------------------------------------------------------


def test_solvency_exactly_at_the_limit_passes_and_one_unit_over_is_rejected(
    world: World, request_circuit: WitnessCalculator
) -> None:
    note, svc = world.note(5), world.service
    limit_c = DEPOSIT - svc.c_max - svc.reserve - 25  # C + c_max + P + reserve = D, P = 25
    at_limit = world.signed(note, 2, limit_c, 25)
    request_circuit.compute_checked(request_inputs(note, at_limit, svc, world.call(note, 2)))
    over = world.signed(note, 2, limit_c + 1, 25)
    _fails(request_circuit, request_inputs(note, over, svc, world.call(note, 2)))
    over_p = world.signed(note, 2, limit_c, 26)
    _fails(request_circuit, request_inputs(note, over_p, svc, world.call(note, 2)))


def test_a_larger_public_c_max_or_reserve_makes_the_same_state_insolvent(
    request_circuit: WitnessCalculator, world: World
) -> None:
    note, svc = world.note(5), world.service
    limit_c = DEPOSIT - svc.c_max - svc.reserve - 25
    inputs = request_inputs(note, world.signed(note, 2, limit_c, 25), svc, world.call(note, 2))
    _fails(request_circuit, _with(inputs, c_max=svc.c_max + 1))
    _fails(request_circuit, _with(inputs, reserve=svc.reserve + 1))


def test_a_negative_charge_as_a_field_element_is_rejected(
    world: World, request_circuit: WitnessCalculator
) -> None:
    """C = p − 100 would make the solvency sum wrap below D; the 64-bit range check stops it."""
    note = world.note(5)
    state = world.signed(note, 2, 0, 0)
    inputs = request_inputs(note, state, world.service, world.call(note, 2))
    _fails(request_circuit, _with(inputs, C=P - 100))
    _fails(request_circuit, _with(inputs, reserve=P - 100))
    _fails(request_circuit, _with(inputs, c_max=P - 100))


@pytest.mark.parametrize(("field", "value"), [("n", U32), ("C", U64), ("P", U64)])
def test_state_values_beyond_their_ranges_are_rejected(
    request_circuit: WitnessCalculator, honest_request: HonestRequest, field: str, value: int
) -> None:
    error = _fails(request_circuit, _with(honest_request.inputs, **{field: value}))
    assert error.template == "Num2Bits"


def test_a_deposit_of_2_to_the_64_is_rejected_even_when_its_leaf_is_in_the_tree(
    world: World, request_circuit: WitnessCalculator
) -> None:
    k = world.secrets[4]
    big = poseidon(TAG_LEAF, note_id(k), U64, EXPIRY)
    tree = LeanIMT([big])
    note = Note(k=k, D=U64 - 1, expiry=EXPIRY, proof=tree.proof(0))
    inputs = request_inputs(note, world.genesis(note), world.service, world.call(note, 0))
    error = _fails(request_circuit, _with(inputs, D=U64))
    assert error.template == "Num2Bits"


def test_rho_or_eta_not_below_l_are_rejected_although_the_points_are_the_same(
    request_circuit: WitnessCalculator, honest_request: HonestRequest
) -> None:
    """ρ + l gives the same E (G_H has order l), so only the range check can refuse it."""
    rho, eta = honest_request.inputs["rho"], honest_request.inputs["eta"]
    assert isinstance(rho, int) and isinstance(eta, int)
    _fails(request_circuit, _with(honest_request.inputs, rho=rho + L))
    _fails(request_circuit, _with(honest_request.inputs, eta=eta + L))


# ---- rows 6 and 7: E_anon and RLN --------------------------------------------------------------


def test_x_zero_is_rejected(
    request_circuit: WitnessCalculator, honest_request: HonestRequest
) -> None:
    error = _fails(request_circuit, _with(honest_request.inputs, x=0))
    assert error.template == "NonZero"


def test_e_anon_is_e_rerandomised_by_eta(world: World, honest_request: HonestRequest) -> None:
    note = world.note(5)
    e = commit(Opening(n=4, C=600, P=25, ID=note.id, rho=honest_request.inputs["rho"]))  # type: ignore[arg-type]
    e_anon = rerandomise(e, honest_request.inputs["eta"])  # type: ignore[arg-type]
    assert honest_request.witness.public_signals[2:4] == [e_anon.x, e_anon.y]
    assert e_anon != e


def test_another_ticket_index_gives_another_nullifier(
    world: World, request_circuit: WitnessCalculator
) -> None:
    note = world.note(5)
    signals = []
    for n in (4, 5):
        state = world.signed(note, n, 600, 25)
        call = CallParams(x=9, today=TODAY, eta=1)
        signals.append(
            request_circuit.compute_checked(
                request_inputs(note, state, world.service, call)
            ).public_signals
        )
    assert signals[0][1] != signals[1][1] and signals[0][0] != signals[1][0]


@pytest.mark.parametrize(
    "position",
    range(12),
    ids=lambda i: [
        "y",
        "nullifier",
        "E_anon.x",
        "E_anon.y",
        "root",
        "service_id",
        "x",
        "c_max",
        "reserve",
        "server_pk.x",
        "server_pk.y",
        "today",
    ][i],
)
def test_every_tampered_public_signal_breaks_the_constraints(
    request_circuit: WitnessCalculator, honest_request: HonestRequest, position: int
) -> None:
    witness = honest_request.witness
    tampered = witness.with_value(1 + position, witness.values[1 + position] + 1)
    with pytest.raises(ConstraintViolation):
        request_circuit.check(tampered)
