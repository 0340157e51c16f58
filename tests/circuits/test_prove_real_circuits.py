"""The real `slash` and `request` circuits through the proving API, cross-checked with snarkjs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from prover import crypto as zc
from prover.circuits.build import BuildDirs, build_circuit
from prover.circuits.compiler import compile_circuit
from prover.circuits.errors import WitnessFailedError
from prover.circuits.examples import request_example, slash_example
from prover.circuits.node_witness import normalize_inputs
from prover.circuits.proof import P
from prover.circuits.prover import CircuitKeys, Prover
from prover.circuits.r1cs import read_wtns
from prover.circuits.snarkjs import groth16_verify, wtns_calculate


def _keys(name: str, tmp: Path) -> CircuitKeys:
    compiled = compile_circuit(name)  # cached by source hash (circuits engineer's compiler)
    dirs = BuildDirs(keys=tmp / "keys", generated=tmp / "generated")
    built = build_circuit(compiled.artifacts, dirs)
    return CircuitKeys.load_from(built.setup.directory, compiled.artifacts)


@pytest.fixture(scope="session")
def slash_prover(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prover]:
    with Prover(_keys("slash", tmp_path_factory.mktemp("slash"))) as prover:
        yield prover


@pytest.fixture(scope="session")
def request_prover(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prover]:
    with Prover(_keys("request", tmp_path_factory.mktemp("request"))) as prover:
        yield prover


def test_a_slash_proof_reveals_exactly_the_note_id_and_service(slash_prover: Prover) -> None:
    inputs = slash_example(k=777, service_id=55)
    proof = slash_prover.prove(inputs)
    assert proof.public_signals == [str(zc.note_id(777)), "55"]
    assert slash_prover.verify(proof)
    vk = slash_prover.keys.vk.model_dump(by_alias=True)
    assert groth16_verify(vk, proof.public_signals, proof.to_snarkjs())
    other = [str(zc.note_id(778)), "55"]
    assert not slash_prover.verify(proof, other)
    assert not groth16_verify(vk, other, proof.to_snarkjs())


@pytest.mark.slow
def test_a_request_proof_verifies_in_both_and_carries_the_d6_signals(
    request_prover: Prover,
) -> None:
    inputs = request_example()
    proof = request_prover.prove(inputs)
    k, n, service_id, x = inputs["k"], inputs["n"], inputs["service_id"], inputs["x"]
    a = zc.slope(k, n, service_id)
    assert proof.public_signals[:2] == [str(zc.share(k, a, x)), str(zc.nullifier(a))]
    assert proof.public_signals[4:9] == [
        str(v) for v in (inputs["root"], service_id, x, inputs["c_max"], inputs["reserve"])
    ]
    assert request_prover.verify(proof)
    vk = request_prover.keys.vk.model_dump(by_alias=True)
    assert groth16_verify(vk, proof.public_signals, proof.to_snarkjs())
    swapped = [proof.public_signals[1], proof.public_signals[0], *proof.public_signals[2:]]
    assert not request_prover.verify(proof, swapped)


@pytest.mark.slow
def test_an_insolvent_request_is_refused_before_any_proof(request_prover: Prover) -> None:
    inputs = {**request_example(), "reserve": 10**9}  # C + c_max + P + reserve > D
    with pytest.raises(WitnessFailedError):
        request_prover.prove(inputs)


@pytest.mark.slow
def test_a_request_witness_broken_in_one_wire_is_refused_while_a_good_one_proves(
    request_prover: Prover, tmp_path: Path
) -> None:
    # The check runs beside the ~0.7 s proof: its verdict, not the proof, decides the result.
    good = tmp_path / "good.wtns"
    wtns_calculate(request_prover.keys.artifacts.wasm, normalize_inputs(request_example()), good)
    values = read_wtns(good)
    data = bytearray(good.read_bytes())
    offset = len(data) - 32 * len(values) + 32  # wire 1: the share y
    data[offset : offset + 32] = ((values[1] + 1) % P).to_bytes(32, "little")
    bad = tmp_path / "bad.wtns"
    bad.write_bytes(bytes(data))
    assert read_wtns(bad)[1] != values[1]

    with pytest.raises(WitnessFailedError, match="breaks constraint"):
        request_prover.prove_wtns(bad)
    proof = request_prover.prove_wtns(good)
    n = request_prover.keys.n_public
    assert proof.public_signals == [str(v) for v in values[1 : 1 + n]]
    assert request_prover.verify(proof)
