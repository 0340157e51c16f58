#!/usr/bin/env bash
# Installs everything zkcredits needs inside the repository, idempotently:
#   node_modules/  from package-lock.json (npm ci: Anvil, solcjs, circom2, snarkjs, circomlib, ...)
#   .venv/         Python 3.11 from requirements.lock, plus this package (editable)
#   .solcx/        the solc wrapper (solcjs speaking the native CLI) for py-solc-x, ape and forge
#   Debian packages tor, postgresql, redis-server when missing (scripts/setup-system.sh)
# A run whose inputs did not change since the last successful run returns in about a second.
# The stamp is written last, so an interrupted or failed run is never mistaken for an install.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
LOG_DIR="build/setup-logs"

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }
die() { printf '\033[31msetup: %s\033[0m\n' "$*" >&2; exit 1; }

PYTHON="${ZKCREDITS_PYTHON:-}"
if [[ -z "$PYTHON" ]]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      PYTHON="$candidate"; break
    fi
  done
fi
[[ -n "$PYTHON" ]] || die "Python 3.11 is required (set ZKCREDITS_PYTHON to its path)"
command -v node >/dev/null || die "node (>= 20) is required"
command -v npm >/dev/null || die "npm is required"

bash scripts/setup-system.sh || die "Debian packages are missing (see above)"

hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }
NODE_WANT="$(hash_of package.json package-lock.json)-$(node --version)"
PY_WANT="$(hash_of requirements.lock pyproject.toml testing/pyproject.toml scripts/setup.sh scripts/solc-wrapper.cjs)-$("$PYTHON" --version 2>&1)"
NODE_STAMP="node_modules/.zkcredits-setup"
STAMP=".venv/.zkcredits-setup"

node_ok() { [[ -f "$NODE_STAMP" && "$(cat "$NODE_STAMP")" == "$NODE_WANT" && -d node_modules/.bin ]]; }
python_ok() {
  [[ -f "$STAMP" && "$(cat "$STAMP")" == "$PY_WANT" && -x .venv/bin/python && -x .solcx/solc-v0.8.37 ]] || return 1
  .venv/bin/python -c 'import prover, groth16py, ape' 2>/dev/null
}

# The package data (prover/artifacts/data): contract bytecode, wasm, dev vks; cached on source
# hashes by the script itself, so it runs on every setup (a no-op when current).
build_package_data() {
  say "building the package data (prover/artifacts/data; cached on source hashes)"
  mkdir -p "$LOG_DIR"
  if ! SOLCX_BINARY_PATH="$ROOT/.solcx" .venv/bin/python scripts/build_artifacts.py >"$LOG_DIR/artifacts.log" 2>&1; then
    tail -20 "$LOG_DIR/artifacts.log" >&2
    die "building the package data failed (log: $LOG_DIR/artifacts.log)"
  fi
}

if node_ok && python_ok; then
  say "up to date (delete $STAMP or $NODE_STAMP to force a reinstall)"
  build_package_data
  exit 0
fi
mkdir -p "$LOG_DIR"

# Names the package a failed install could not fetch, from the installer's own log.
explain_failure() {
  local tool="$1" log="$2" pkg="" url=""
  if [[ "$tool" == npm ]]; then
    url="$(grep -oE "(request to|GET) https?://[^ ]+" "$log" | head -1 | awk '{print $NF}' || true)"
    if [[ -n "$url" ]]; then
      pkg="$(sed -E -e 's#^https?://[^/]+/##' -e 's#/-/.*##' -e 's#%2[fF]#/#g' <<<"$url")"
      pkg="package $pkg could not be fetched ($(grep -oE 'code E[A-Z_]+|404 Not Found' "$log" | head -1 || true))"
    else
      pkg="$(grep -oE "No matching version found for [^ ]+" "$log" | head -1 || true)"
    fi
    [[ -n "$pkg" ]] || pkg="$(grep -E '^npm (ERR|error)' "$log" | head -3 | tr '\n' ' ')"
  else
    pkg="$(grep -oE "(No matching distribution found for|Could not find a version that satisfies the requirement) [^ ]+" "$log" | head -1 || true)"
    [[ -n "$pkg" ]] || pkg="$(grep -E '^ERROR' "$log" | head -3 | tr '\n' ' ')"
  fi
  die "$tool failed: ${pkg:-see $log} (full log: $log)"
}

if ! node_ok; then
  say "installing node packages (npm ci)"
  rm -f "$NODE_STAMP"
  if ! npm ci --no-audit --no-fund >"$LOG_DIR/npm.log" 2>&1; then
    rm -rf node_modules   # never leave a partial tree behind
    explain_failure npm "$LOG_DIR/npm.log"
  fi
  echo "$NODE_WANT" >"$NODE_STAMP"
fi
rm -f "$STAMP"

if [[ ! -x .venv/bin/python ]] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  say "creating .venv with $PYTHON"
  rm -rf .venv
  "$PYTHON" -m venv .venv
fi
say "installing Python packages (requirements.lock)"
if ! .venv/bin/python -m pip install --disable-pip-version-check -q -r requirements.lock >"$LOG_DIR/pip.log" 2>&1; then
  explain_failure pip "$LOG_DIR/pip.log"
fi
# the runtime package, then the checkout's testing package (dev chain, dev keys, demo; not in the wheel)
if ! .venv/bin/python -m pip install --disable-pip-version-check -q --no-deps --no-build-isolation -e . -e testing >>"$LOG_DIR/pip.log" 2>&1; then
  explain_failure pip "$LOG_DIR/pip.log"
fi

say "installing the solc wrapper and tool links"
SOLC_VERSION="$(node -e 'console.log(require("./node_modules/solc/package.json").version)')"
mkdir -p .solcx
chmod +x scripts/solc-wrapper.cjs
ln -sfn "$ROOT/scripts/solc-wrapper.cjs" ".solcx/solc-v$SOLC_VERSION"
ln -sfn "$ROOT/scripts/solc-wrapper.cjs" .venv/bin/solc
for tool in anvil forge; do
  bin="$(ls node_modules/@foundry-rs/"$tool"-linux-*/bin/"$tool" 2>/dev/null | head -1 || true)"
  [[ -x "$bin" ]] || die "the $tool binary is missing from node_modules/@foundry-rs ($tool-linux-*)"
  ln -sfn "$ROOT/$bin" ".venv/bin/$tool"
done
.solcx/solc-v"$SOLC_VERSION" --version | grep -q "Version: $SOLC_VERSION" || die "the solc wrapper does not run"
.venv/bin/anvil --version >/dev/null || die "anvil does not run"

echo "$PY_WANT" >"$STAMP.tmp" && mv "$STAMP.tmp" "$STAMP"

build_package_data
say "done"
