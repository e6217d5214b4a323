#!/usr/bin/env bash
# Builds and tests the language packages from this checkout, as a user would: bindings/js
# (`npm ci`, `npm run build`, the type check, `npm test`) and bindings/python (`pip install
# ./bindings/python` into the project's tool environment, then pytest). Their tests compare every
# answer with the chittyid binary's: CHITTYID_BIN, or target/debug/chittyid (scripts/test.sh
# builds it first).
#
# Installs what the builds need when missing: the wasm32-unknown-unknown target (rustup) and the
# wasm-bindgen command line of the version bindings/js/Cargo.lock pins (cargo install, about four
# minutes on two cores, once per machine). Node.js and npm come from scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

export CHITTYID_BIN="${CHITTYID_BIN:-$PWD/target/debug/chittyid}"
if [ ! -x "$CHITTYID_BIN" ]; then
  echo "bindings: no chittyid binary at $CHITTYID_BIN: run cargo build -p chittyid first, or set CHITTYID_BIN" >&2
  exit 1
fi

# cargo install puts wasm-bindgen here, which a fresh shell may not have on PATH.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
targets=$(rustup target list --installed)
if ! grep -qx wasm32-unknown-unknown <<<"$targets"; then
  rustup target add wasm32-unknown-unknown
fi
pinned=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' bindings/js/Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$pinned" ]; then
  echo "bindings: installing wasm-bindgen-cli $pinned" >&2
  # Not --locked: the lockfile wasm-bindgen-cli ships pins patch releases a registry mirror may
  # not hold yet; the command line's own version is pinned exactly.
  cargo install --quiet wasm-bindgen-cli --version "=$pinned"
fi

(
  cd bindings/js
  npm ci --no-audit --no-fund --loglevel=error
  npm run --silent build
  npm run --silent typecheck
  npm test
)

tools=$(bash scripts/python-tools.sh)
CARGO_TARGET_DIR="$PWD/target/bindings" "$tools/pip" install --quiet --force-reinstall --no-deps ./bindings/python
"$tools/python" -m pytest -q -p no:cacheprovider bindings/python/tests
