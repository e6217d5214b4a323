#!/usr/bin/env bash
# The JavaScript and Python packages over a mixed export of 1,000,000 lines
# (scripts/bench/mixed_export.py), against the release CLI and against the regular expressions
# the ChittyOS callers use today, in one run; then the packages' sizes. Builds the release CLI
# and both packages first (scripts/bindings.sh must have run once: it installs the tools).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p chittyid >/dev/null 2>&1
(cd bindings/js && npm run --silent build >/dev/null)
tools=$(bash scripts/python-tools.sh)
CARGO_TARGET_DIR="$PWD/target/bindings" "$tools/pip" install --quiet --force-reinstall --no-deps ./bindings/python
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 scripts/bench/mixed_export.py "$work"
lines=$(wc -l < "$work/export.txt")

echo "| who | what | best of 3 | lines per second | answer |"
echo "|---|---|---|---|---|"
cli() { # label args...
  local label=$1; shift
  local best=
  for _ in 1 2 3; do
    local start end
    start=$(date +%s.%N)
    target/release/chittyid validate "$@" < "$work/export.txt" > "$work/out" || true
    end=$(date +%s.%N)
    best=$(python3 -c "print(min(float('${best:-inf}'), $end - $start))")
  done
  printf '| CLI | %s | %.3f s | %s /s | %s |\n' "$label" "$best" \
    "$(python3 -c "print(f'{$lines / $best:,.0f}')")" "$(tail -c 200 "$work/out" | tr -d '\n' | grep -o '"valid":[0-9]*' || wc -l < "$work/out")"
}
cli '`validate --summary --quiet --json`' --summary --quiet --json
cli '`validate --json` (a report per line)' --json
node bindings/js/bench/validate.mjs "$work/export.txt"
"$tools/python" scripts/bench/bindings.py "$work/export.txt"

echo
wasm=bindings/js/wasm/chittyid_format_bg.wasm
echo "WebAssembly module: $(stat -c %s "$wasm") bytes, $(gzip -9c "$wasm" | wc -c) gzipped"
(cd bindings/js && npm pack --dry-run --json 2>/dev/null) | python3 -c "import json,sys; p=json.load(sys.stdin)[0]; print(f\"npm tarball: {p['size']} bytes packed, {p['unpackedSize']} unpacked, {len(p['files'])} files\")"
so=$("$tools/python" -c "import chittyid._native as n; print(n.__file__)")
echo "Python extension: $(stat -c %s "$so") bytes ($(basename "$so"))"
