"""The compile layer: budget, typed result, cache by source hash, crash-safe builds."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from prover.circuits.compiler import (
    BUILD_INFO,
    CompiledCircuit,
    compile_circuit,
    source_hash,
)
from prover.circuits.errors import ArtifactError
from prover.circuits.instances import CircuitInstance, get_instance
from prover.circuits.r1cs import read_r1cs_header
from prover.toolchain.paths import BUILD_DIR

REQUEST_BUDGET = 15_000


def test_request_fits_the_constraint_budget_at_max_depth_20(
    compiled_request: CompiledCircuit,
) -> None:
    assert compiled_request.n_constraints <= REQUEST_BUDGET
    header = read_r1cs_header(compiled_request.r1cs)
    assert header.n_constraints == compiled_request.n_constraints
    assert (compiled_request.n_outputs, compiled_request.n_public_inputs) == (4, 8)


def test_a_second_compile_is_a_cache_hit(compiled_request: CompiledCircuit) -> None:
    again = compile_circuit("request")
    assert again.cached and again.source_hash == compiled_request.source_hash
    assert again.artifacts.wasm == compiled_request.wasm


def test_the_source_hash_covers_the_main_component() -> None:
    request = get_instance("request")
    bigger = CircuitInstance(**{**request.model_dump(), "params": {"MAX_DEPTH": 21}})
    assert source_hash(bigger) != source_hash(request)
    assert "Request(21)" in bigger.main_source()


def test_an_unknown_circuit_is_refused() -> None:
    with pytest.raises(ArtifactError) as info:
        compile_circuit("no-such-circuit")
    assert info.value.field == "name"


@pytest.fixture
def scratch_build() -> Iterator[Path]:
    directory = BUILD_DIR / "circuits-test-compiler"
    shutil.rmtree(directory, ignore_errors=True)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.mark.slow
def test_a_build_without_its_build_record_is_recompiled_and_leaves_no_temp_dirs(
    scratch_build: Path,
) -> None:
    first = compile_circuit("slash", scratch_build)
    assert not first.cached and first.n_constraints > 0
    assert compile_circuit("slash", scratch_build).cached
    # A crash after circom but before the record: the directory must not count as complete.
    (first.directory / BUILD_INFO).unlink()
    rebuilt = compile_circuit("slash", scratch_build)
    assert not rebuilt.cached and (rebuilt.directory / BUILD_INFO).is_file()
    # A record with another key (sources changed) is a miss too.
    (rebuilt.directory / BUILD_INFO).write_text('{"source_hash": "stale"}')
    assert not compile_circuit("slash", scratch_build).cached
    assert sorted(p.name for p in scratch_build.iterdir() if not p.name.startswith(".slash")) == [
        "slash"
    ]


def test_a_build_dir_outside_the_repository_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError) as info:
        compile_circuit("slash", tmp_path)
    assert info.value.field == "build_dir"
