#!/usr/bin/env bash
# `chittyid validate --summary` over a mixed export, against plain `validate` in the same run:
# 1,000,000 lines (88 % canonical IDs, 4 % canonical typos, 2 % 2025-form IDs, 2 % status
# placeholders, 1 % reserved patterns, 3 % junk), then the same file ten times (10,000,000
# lines) with --summary --quiet to show the memory does not grow. Wall time and peak RSS from
# GNU time. With BASE=<binary>, plain `validate` of that binary too (the CLI before --summary).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
cargo build --release -p chittyid >/dev/null 2>&1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 scripts/bench/mixed_export.py "$work"
for _ in $(seq 1 10); do cat "$work/export.txt"; done > "$work/export10.txt"
run() { # label input binary args...
  local label=$1 input=$2 binary=$3; shift 3
  /usr/bin/time -f "%e %M" -o "$work/time" "$binary" validate "$@" < "$input" > "$work/out" || true
  read -r seconds kib < <(tail -n 1 "$work/time")
  local lines; lines=$(wc -l < "$input")
  printf '| %s | %s | %.2f s | %s IDs/s | %s MiB |\n' "$label" "$lines" "$seconds" \
    "$(python3 -c "print(f'{$lines / max($seconds, 0.001):,.0f}')")" "$(( kib / 1024 ))"
}
echo "| run | lines | time | rate | peak RSS |"
echo "|---|---|---|---|---|"
bin=target/release/chittyid
for _ in 1 2; do
  [ -n "${BASE:-}" ] && run "baseline validate (text)" "$work/export.txt" "$BASE"
  run "validate (text)" "$work/export.txt" "$bin"
  run "validate --summary (text)" "$work/export.txt" "$bin" --summary
  run "validate --summary --quiet" "$work/export.txt" "$bin" --summary --quiet
  run "validate --json --summary --quiet" "$work/export.txt" "$bin" --json --summary --quiet
done
for _ in 1 2; do
  [ -n "${BASE:-}" ] && run "baseline validate (text), 10x" "$work/export10.txt" "$BASE"
  run "validate (text), 10x" "$work/export10.txt" "$bin"
  run "validate --summary (text), 10x" "$work/export10.txt" "$bin" --summary
  run "validate --summary --quiet, 10x" "$work/export10.txt" "$bin" --summary --quiet
done
echo
echo "The summary of the 1,000,000-line export:"
"$bin" validate --summary --quiet < "$work/export.txt" || true
