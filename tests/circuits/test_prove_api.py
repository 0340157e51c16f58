"""The proving API against snarkjs as the reference: proofs, tampering, malformed input."""

from __future__ import annotations

import json
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from zkcredits_testing.sandbox_compile import compile_standalone

from prover.circuits.errors import (
    MalformedInputsError,
    MalformedProofError,
    MalformedSignalsError,
    ProvingFailedError,
    WitnessFailedError,
)
from prover.circuits.g16 import guarded
from prover.circuits.keys import ensure_dev_keys
from prover.circuits.proof import P, Proof, Q, calldata_to_snarkjs, snarkjs_to_calldata
from prover.circuits.prover import CircuitKeys, Prover
from prover.circuits.r1cs import read_wtns
from prover.circuits.snarkjs import groth16_verify, wtns_calculate

FIXTURE = Path(__file__).parent / "fixtures" / "fixture.circom"
INPUTS = {"k": 5, "n": 3, "x": 11, "c_max": 100}
# y = k + (k·n + 7)·x, nullifier = (k·n + 7)², then the public inputs x, c_max.
EXPECTED = [str(5 + 22 * 11), str(22 * 22), "11", "100"]


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> CircuitKeys:
    tmp = tmp_path_factory.mktemp("prove")
    artifacts = compile_standalone(FIXTURE, tmp / "fixture")
    setup = ensure_dev_keys(artifacts, tmp / "keys")
    return CircuitKeys.load_from(setup.directory, artifacts)


@pytest.fixture(scope="module")
def prover(keys: CircuitKeys) -> Iterator[Prover]:
    with Prover(keys) as p:
        yield p


@pytest.fixture(scope="module")
def proof(prover: Prover) -> Proof:
    return prover.prove(INPUTS)


@pytest.fixture(scope="module")
def vk_json(keys: CircuitKeys) -> dict[str, object]:
    return keys.vk.model_dump(by_alias=True)


def test_a_proof_carries_the_circuits_public_signals_and_verifies_in_both(
    keys: CircuitKeys, proof: Proof, vk_json: dict[str, object]
) -> None:
    assert proof.public_signals == EXPECTED
    assert len(proof.calldata) == 256
    assert keys.verify(proof)
    assert groth16_verify(vk_json, proof.public_signals, proof.to_snarkjs())


def test_the_prover_keeps_working_for_many_calls_with_one_node_process(prover: Prover) -> None:
    proofs = [prover.prove({**INPUTS, "k": k}) for k in range(1, 6)]
    assert all(prover.verify(p) for p in proofs)
    assert len({p.public_signals[0] for p in proofs}) == 5


def test_wrong_or_swapped_public_signals_fail_in_both(
    keys: CircuitKeys, proof: Proof, vk_json: dict[str, object]
) -> None:
    wrong = [str(int(EXPECTED[0]) + 1), *EXPECTED[1:]]
    swapped = [EXPECTED[1], EXPECTED[0], *EXPECTED[2:]]
    for signals in (wrong, swapped):
        assert not keys.verify(proof, signals)
        assert not groth16_verify(vk_json, signals, proof.to_snarkjs())


def test_a_tampered_proof_fails_in_both(
    keys: CircuitKeys, proof: Proof, vk_json: dict[str, object]
) -> None:
    # Negating A keeps it on the curve: a well-formed proof that must not verify.
    ay = int.from_bytes(proof.calldata[32:64], "big")
    negated = proof.calldata[:32] + (Q - ay).to_bytes(32, "big") + proof.calldata[64:]
    assert not keys.verify(negated, EXPECTED)
    assert not groth16_verify(vk_json, EXPECTED, calldata_to_snarkjs(negated))

    # A flipped bit takes A off the curve: refused as malformed, naming the proof.
    flipped = bytearray(proof.calldata)
    flipped[40] ^= 1
    with pytest.raises(MalformedProofError) as err:
        keys.verify(bytes(flipped), EXPECTED)
    assert err.value.field == "proof"
    assert not groth16_verify(vk_json, EXPECTED, calldata_to_snarkjs(bytes(flipped)))


def test_calldata_and_snarkjs_proof_json_convert_both_ways(proof: Proof) -> None:
    as_json = proof.to_snarkjs()
    assert as_json["pi_b"][0] == [
        str(int.from_bytes(proof.calldata[96:128], "big")),
        str(int.from_bytes(proof.calldata[64:96], "big")),
    ]
    assert snarkjs_to_calldata(json.loads(json.dumps(as_json))) == proof.calldata
    assert Proof.model_validate_json(proof.model_dump_json()) == proof
    assert json.loads(proof.model_dump_json())["calldata"] == "0x" + proof.calldata.hex()


def test_a_reference_witness_from_snarkjs_proves_to_the_same_signals(
    prover: Prover, keys: CircuitKeys, tmp_path: Path
) -> None:
    wtns = tmp_path / "ref.wtns"
    wtns_calculate(keys.artifacts.wasm, {k: str(v) for k, v in INPUTS.items()}, wtns)
    proof = prover.prove_wtns(wtns)
    assert proof.public_signals == EXPECTED and keys.verify(proof)


def test_inputs_that_break_a_circuit_assert_are_refused(prover: Prover) -> None:
    with pytest.raises(WitnessFailedError, match="Assert Failed"):
        prover.prove({**INPUTS, "x": 0})


def _wtns_file(path: Path, values: list[int]) -> Path:
    """A circom `.wtns` (version 2: header section, then the values, 32-byte little-endian)."""
    header = struct.pack("<I", 32) + P.to_bytes(32, "little") + struct.pack("<I", len(values))
    body = b"".join(v.to_bytes(32, "little") for v in values)
    sections = b"".join(
        struct.pack("<IQ", kind, len(data)) + data for kind, data in ((1, header), (2, body))
    )
    path.write_bytes(b"wtns" + struct.pack("<II", 2, 2) + sections)
    return path


@pytest.fixture
def good_wtns(keys: CircuitKeys, tmp_path: Path) -> Path:
    wtns = tmp_path / "good.wtns"
    wtns_calculate(keys.artifacts.wasm, {k: str(v) for k, v in INPUTS.items()}, wtns)
    return wtns


def test_a_witness_that_breaks_a_constraint_is_refused_and_its_proof_discarded(
    prover: Prover, keys: CircuitKeys, good_wtns: Path, tmp_path: Path
) -> None:
    values = read_wtns(good_wtns)
    assert read_wtns(_wtns_file(tmp_path / "same.wtns", values)) == values
    # The first public signal (y, wire 1) replaced by y + 1: groth16py would prove it anyway.
    bad = _wtns_file(tmp_path / "bad.wtns", [values[0], values[1] + 1, *values[2:]])
    assert keys.r1cs.first_unsatisfied(read_wtns(bad)) is not None

    with pytest.raises(WitnessFailedError, match="breaks constraint") as err:
        prover.prove_wtns(bad)
    assert err.value.field == "witness"
    # The proof made alongside the check was dropped: the next call returns its own proof.
    proof = prover.prove_wtns(good_wtns)
    assert proof.public_signals == EXPECTED and keys.verify(proof)


def test_the_checks_error_wins_when_groth16py_also_fails_on_the_witness(
    prover: Prover, good_wtns: Path, tmp_path: Path
) -> None:
    # One wire too many: groth16py refuses it (ProvingFailedError) while the check names it.
    longer = _wtns_file(tmp_path / "long.wtns", [*read_wtns(good_wtns), 0])
    with pytest.raises(WitnessFailedError, match="wires") as err:
        prover.prove_wtns(longer)
    assert not isinstance(err.value, ProvingFailedError)
    assert err.value.field == "witness"


def test_a_closed_prover_leaves_no_checking_thread_behind(keys: CircuitKeys) -> None:
    before = set(threading.enumerate())
    with Prover(keys) as own:
        assert own.verify(own.prove(INPUTS))
        started = [t for t in threading.enumerate() if t not in before]
        assert any(t.name.startswith("zkcredits-r1cs") for t in started)
    assert not [t for t in started if t.is_alive()]


@pytest.mark.parametrize(
    ("inputs", "field"),
    [
        ({**INPUTS, "k": P}, "k"),
        ({**INPUTS, "n": -1}, "n"),
        ({**INPUTS, "x": "011"}, "x"),
        ({**INPUTS, "c_max": 1.5}, "c_max"),
        ({**INPUTS, "k": [1, P + 3]}, "k[1]"),
    ],
)
def test_malformed_inputs_are_refused_naming_the_field(
    prover: Prover, inputs: dict[str, object], field: str
) -> None:
    with pytest.raises(MalformedInputsError) as err:
        prover.prove(inputs)
    assert err.value.field == field


def test_malformed_proofs_and_signals_are_refused_naming_the_field(
    keys: CircuitKeys, proof: Proof
) -> None:
    with pytest.raises(MalformedProofError) as err:
        keys.verify(proof.calldata[:255], EXPECTED)
    assert err.value.field == "proof"
    big = (Q).to_bytes(32, "big") + proof.calldata[32:]
    with pytest.raises(MalformedProofError) as err:
        keys.verify(big, EXPECTED)
    assert err.value.field == "a.x"
    with pytest.raises(MalformedSignalsError) as err:
        keys.verify(proof, EXPECTED[:3])
    assert err.value.field == "public_signals"
    with pytest.raises(MalformedSignalsError) as err:
        keys.verify(proof, [EXPECTED[0], str(P), *EXPECTED[2:]])
    assert err.value.field == "public_signals[1]"
    with pytest.raises(MalformedProofError) as err:
        snarkjs_to_calldata({**proof.to_snarkjs(), "pi_c": ["1", "2", "0"]})
    assert err.value.field == "pi_c"


class PanicException(BaseException):
    """Same name and base as pyo3's runtime-created panic type (no public import exists)."""


def test_a_panic_inside_groth16py_becomes_a_typed_error_but_ctrl_c_does_not() -> None:
    def panics() -> None:
        raise PanicException("called `Option::unwrap()` on a `None` value")

    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(ProvingFailedError, match="panicked") as err:
        guarded(ProvingFailedError, "proving", panics, field="proof")
    assert err.value.field == "proof"
    with pytest.raises(KeyboardInterrupt):
        guarded(ProvingFailedError, "proving", interrupted)
