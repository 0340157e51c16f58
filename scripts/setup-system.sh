#!/usr/bin/env bash
# Debian packages the tests and services start themselves (never as system services):
#   tor (private Tor network on loopback), postgresql (nullifier store replicas), redis-server.
# Installs only what is missing; needs root (or prints the apt-get command to run).
set -euo pipefail

missing=()
command -v tor >/dev/null || missing+=(tor)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "setup: missing Debian packages: ${missing[*]}; run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "setup: installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
mkdir -p build/setup-logs
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
    >build/setup-logs/apt.log 2>&1; then
  echo "setup: apt-get could not install ${missing[*]} (log: build/setup-logs/apt.log)" >&2
  tail -5 build/setup-logs/apt.log >&2
  exit 1
fi
# The packages may start system-wide daemons; the project never uses them (tests start their
# own instances on free loopback ports), so stop any that did start, by the PID files they wrote.
for pidfile in /run/tor/tor.pid /run/redis/redis-server.pid; do
  [[ -f "$pidfile" ]] && kill "$(cat "$pidfile")" 2>/dev/null || true
done
