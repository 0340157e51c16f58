#!/usr/bin/env bash
# README command two: install what is missing, then lint, type-check and run the whole test suite.
# Extra arguments go to pytest (e.g. scripts/test.sh -m "not slow" tests/prover).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH" SOLCX_BINARY_PATH="$PWD/.solcx"

echo "== ruff"
ruff check .
ruff format --check .
echo "== forge fmt --check (foundry.toml [fmt])"
forge_bin=(node_modules/@foundry-rs/forge-linux-*/bin/forge)
"${forge_bin[0]}" fmt --check contracts
echo "== circom --inspect"
python -m zkcredits_testing.circuit_lint
echo "== mypy"
mypy
echo "== pytest"
pytest "$@"
