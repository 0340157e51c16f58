#!/usr/bin/env bash
# README command one: install what is missing, then run the main job on a local Anvil chain.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH" SOLCX_BINARY_PATH="$PWD/.solcx"
exec zkcredits demo "$@"
