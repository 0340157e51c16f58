"""Soundness of `slash` (PROTOCOL §10): knowledge of k for the public ID and service_id."""

from __future__ import annotations

import pytest

from prover.circuits.errors import ConstraintViolation
from prover.circuits.inputs import expected_slash_signals, slash_inputs
from prover.circuits.witness import Witness, WitnessCalculator
from prover.crypto import note_id, recover_secret, share, slope

K = 0x1234567890ABCDEF
SERVICE_ID = 987654321


@pytest.fixture(scope="module")
def honest(slash_circuit: WitnessCalculator) -> Witness:
    return slash_circuit.compute_checked(slash_inputs(K, SERVICE_ID))


def test_the_secret_recovered_from_a_double_spend_proves_its_note(
    slash_circuit: WitnessCalculator,
) -> None:
    a = slope(K, 7, SERVICE_ID)
    k = recover_secret(11, share(K, a, 11), 13, share(K, a, 13))
    witness = slash_circuit.compute_checked(slash_inputs(k, SERVICE_ID))
    assert witness.public_signals == expected_slash_signals(K, SERVICE_ID)
    assert witness.public_signals == [note_id(K), SERVICE_ID]


def test_another_k_gives_another_id(slash_circuit: WitnessCalculator, honest: Witness) -> None:
    other = slash_circuit.compute_checked(slash_inputs(K + 1, SERVICE_ID))
    assert other.public_signals[0] != honest.public_signals[0]


@pytest.mark.parametrize("wire", ["ID", "service_id", "k"])
def test_a_tampered_id_service_id_or_k_breaks_the_constraints(
    slash_circuit: WitnessCalculator, honest: Witness, wire: str
) -> None:
    index = slash_circuit.symbols.wire(wire)
    with pytest.raises(ConstraintViolation):
        slash_circuit.check(honest.with_value(index, honest.values[index] + 1))


def test_a_proof_for_one_id_does_not_claim_another(
    slash_circuit: WitnessCalculator, honest: Witness
) -> None:
    """The witness of k with ID' = H(TAG_ID, k') in place of H(TAG_ID, k) is rejected."""
    index = slash_circuit.symbols.wire("ID")
    with pytest.raises(ConstraintViolation):
        slash_circuit.check(honest.with_value(index, note_id(K + 1)))
