"""Fixtures of the circuit soundness suite: each circuit compiled once per session (cached by
source hash under build/circuits/), one warm witness process per circuit, and a small world:
a server key, a vault's parameters and a LeanIMT of several notes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from prover.circuits.compiler import CompiledCircuit, compile_circuit
from prover.circuits.inputs import (
    CallParams,
    Note,
    NoteState,
    ServiceParams,
    expected_request_signals,
    request_inputs,
)
from prover.circuits.witness import Witness, WitnessCalculator
from prover.crypto import (
    LeanIMT,
    Opening,
    Point,
    commit,
    eta,
    leaf,
    note_id,
    public_key,
    rho0,
    service_id,
    sign_state,
)

SERVER_SK = 0x012E3F4A5B6C7D8E9F00112233445566778899AABBCCDDEEFF0011223344556
OTHER_SK = 0x030B0C0D0E0F101112131415161718191A1B1C1D1E1F20212223242526272829
DEPOSIT = 1000
EXPIRY = 20_000
TODAY = 19_990
N_NOTES = 7


@dataclass(frozen=True)
class World:
    """Seven notes of one vault in one tree (indices 0..6); note A = 5, note B = 2."""

    server_sk: int
    server_pk: Point
    service: ServiceParams
    tree: LeanIMT
    secrets: tuple[int, ...]

    def note(self, index: int) -> Note:
        return Note(k=self.secrets[index], D=DEPOSIT, expiry=EXPIRY, proof=self.tree.proof(index))

    def signed(
        self, note: Note, n: int, C: int, P: int, rho: int | None = None, sk: int | None = None
    ) -> NoteState:
        """A state (n, C, P, ρ) of `note` signed by the server (or by `sk`)."""
        rho = rho0(note.k, self.service.service_id) if rho is None else rho
        e = commit(Opening(n=n, C=C, P=P, ID=note.id, rho=rho))
        sig = sign_state(self.server_sk if sk is None else sk, self.service.service_id, e)
        return NoteState(n=n, C=C, P=P, rho=rho, signature=sig)

    def genesis(self, note: Note) -> NoteState:
        return NoteState.genesis(rho0(note.k, self.service.service_id))

    def call(self, note: Note, n: int, x: int = 0xC0FFEE, today: int = TODAY) -> CallParams:
        return CallParams(x=x, today=today, eta=eta(note.k, n, self.service.service_id))


@pytest.fixture(scope="session")
def world() -> World:
    sid = service_id(31337, "0x" + "ab" * 20)
    secrets = tuple(1000 + 7919 * i for i in range(N_NOTES))
    tree = LeanIMT([leaf(note_id(k), DEPOSIT, EXPIRY) for k in secrets])
    pk = public_key(SERVER_SK)
    service = ServiceParams(service_id=sid, c_max=50, reserve=30, penalty_max=25, server_pk=pk)
    return World(SERVER_SK, pk, service, tree, secrets)


def _calculator(name: str) -> Iterator[WitnessCalculator]:
    with WitnessCalculator(compile_circuit(name)) as calc:
        yield calc


@pytest.fixture(scope="session")
def request_circuit() -> Iterator[WitnessCalculator]:
    yield from _calculator("request")


@pytest.fixture(scope="session")
def withdraw_circuit() -> Iterator[WitnessCalculator]:
    yield from _calculator("withdraw")


@pytest.fixture(scope="session")
def slash_circuit() -> Iterator[WitnessCalculator]:
    yield from _calculator("slash")


@pytest.fixture(scope="session")
def compiled_request(request_circuit: WitnessCalculator) -> CompiledCircuit:
    return request_circuit.circuit


@dataclass(frozen=True)
class HonestRequest:
    inputs: dict[str, object]
    witness: Witness
    expected: list[int]


@pytest.fixture(scope="session")
def honest_request(world: World, request_circuit: WitnessCalculator) -> HonestRequest:
    """Note A with a signed state (n=4, C=600, P=25): the honest witness shared by tamper tests."""
    note = world.note(5)
    state = world.signed(note, 4, 600, 25)
    call = world.call(note, 4)
    inputs = request_inputs(note, state, world.service, call)
    witness = request_circuit.compute_checked(inputs)
    return HonestRequest(
        inputs, witness, expected_request_signals(note, state, world.service, call)
    )
