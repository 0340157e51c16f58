"""The files a provider publishes for clients, and the witness runtime clients run themselves."""

from __future__ import annotations

from prover.circuits.artifacts import CIRCUITS_BUILD_DIR, CircuitArtifacts
from prover.circuits.build import CircuitBuild
from prover.circuits.compiler import compile_circuit
from prover.circuits.key_files import (
    WITNESS_RUNTIME,
    file_names,
    is_published_name,
    published_paths,
)


def test_the_vendored_witness_runtime_is_what_circom_writes_for_every_circuit() -> None:
    for circuit in ("request", "withdraw", "slash"):
        artifacts: CircuitArtifacts = compile_circuit(circuit).artifacts  # cached by source
        assert artifacts.witness_calculator_js.read_bytes() == WITNESS_RUNTIME.read_bytes()


def test_each_circuit_publishes_its_keys_wasm_and_r1cs_and_nothing_else(
    circuits_built: list[CircuitBuild],
) -> None:
    assert file_names("withdraw") == (
        "proving_key.bin",
        "verification_key.json",
        "withdraw.wasm",
        "withdraw.r1cs",
    )
    paths = published_paths("slash")
    assert set(paths) == {f"slash/{n}" for n in file_names("slash")}
    assert paths["slash/slash.wasm"] == CIRCUITS_BUILD_DIR / "slash" / "slash_js" / "slash.wasm"
    for good in ("request/proving_key.bin", "slash/slash.r1cs"):
        assert is_published_name(good)
    for bad in ("request/manifest.json", "request/slash.r1cs", "../x/proving_key.bin",
                "request", "request/", "/proving_key.bin", "a b/proving_key.bin"):  # fmt: skip
        assert not is_published_name(bad), bad
