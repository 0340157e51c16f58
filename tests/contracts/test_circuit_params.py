"""The vault's circuit constants are generated from circuits/instances.json and stay in sync."""

from __future__ import annotations

from prover.chain.circuit_params import SOLIDITY_FILE, render_solidity, request_max_depth
from prover.chain.param_bounds import MAX_DEPTH
from prover.circuits.instances import get_instance


def test_circuit_params_sol_is_what_the_generator_renders_from_instances_json() -> None:
    assert SOLIDITY_FILE.read_text() == render_solidity(), (
        "contracts/libraries/CircuitParams.sol is stale: run circuits/gen_constants.py"
    )
    assert f"uint8 internal constant MAX_DEPTH = {request_max_depth()};" in render_solidity()


def test_every_python_model_uses_the_request_circuits_max_depth() -> None:
    assert MAX_DEPTH == get_instance("request").params["MAX_DEPTH"] == request_max_depth()
