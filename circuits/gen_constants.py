"""Regenerate circuits/lib/generators.circom and circuits/lib/tags.circom from the Python twin,
and contracts/libraries/CircuitParams.sol from circuits/instances.json.

Run: .venv/bin/python circuits/gen_constants.py
"""

from prover.chain.circuit_params import SOLIDITY_FILE, write_solidity
from prover.circuits.circom_constants import write_all

if __name__ == "__main__":
    for path in write_all():
        print(f"wrote {path}")
    if write_solidity():
        print(f"wrote {SOLIDITY_FILE}")
