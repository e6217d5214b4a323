#!/usr/bin/env bash
# Sets up what the tests need and runs them. Works on a fresh Debian machine that has only the
# Rust toolchain. Run as root: PostgreSQL and Redis are started, or installed from Debian's
# packages and started, when 127.0.0.1:5432 / :6379 do not answer; the full-disk tests mount a
# small tmpfs (util-linux `mount`, installed here if missing); the interop tests need Node.js
# (Debian's nodejs, installed here if missing); the metrics and alert-rule tests need promtool
# (Debian's prometheus, installed here if missing); the deployment tests need systemd-analyze
# (Debian's systemd) and kubernetes-validate (PyPI), the status-page test headless Chromium
# (Debian's chromium), the fleet script curl and psql (Debian's curl, postgresql-client),
# installed here if missing; the contract check needs schemathesis. The PyPI tools go into a
# virtual environment of the project's own (scripts/python-tools.sh), never the system's Python.
# The language packages (scripts/bindings.sh) need npm (Debian's npm), the wasm32 target and
# wasm-bindgen's command line (installed by that script), pytest and Hypothesis (PyPI).
#
# DATABASE_URL and REDIS_URL default to those local servers; the PostgreSQL tests create a
# database of their own for each test, the Redis tests use a key prefix of their own, and the
# Redis outage tests run redis-server processes of their own on free ports.
set -euo pipefail
cd "$(dirname "$0")/.."

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
bash scripts/services.sh

# The full-disk tests mount a tmpfs; the interop tests run a JavaScript client with Node; the
# operations tests check metrics and alert rules with promtool.
missing=()
command -v mount >/dev/null 2>&1 || missing+=(mount)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then as_root=(); else as_root=(sudo); fi
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The deployment tests check the Kubernetes manifests against the API's schemas, the contract
# check runs schemathesis: both from PyPI, in a virtual environment of the project's own.
tools=$(bash scripts/python-tools.sh)
export PATH="$tools:$PATH"

# The contract check runs the real binary against its own OpenAPI document (schemathesis).
# Built as the tests build it (dev-dependency features included), so that the binary and the
# tests share one build of every dependency.
cargo test --workspace --locked --no-run
bash scripts/contract.sh target/debug/chittyid

# The JavaScript and Python packages, built from this checkout and compared with that binary.
bash scripts/bindings.sh

cargo test --workspace --locked "$@"
