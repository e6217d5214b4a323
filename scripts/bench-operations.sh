#!/usr/bin/env bash
# What the operations work costs on the hot paths, in one run against a named baseline:
# BASE=<path to a chittyid binary built from an earlier commit> (the closing note names it),
# this tree's release binary, alternating, at RUST_LOG=warn (no request span; its cost is
# scripts/bench-logging.sh's) and with OTLP unset (as by default):
#   GET /api/id/validate/{id}, 64 connections; POST /api/id/generate, 16 connections
#   (embedded authority, rate limit off). wrk, CHITTYID_BENCH_SECONDS (6) per row.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BASE:?set BASE to the baseline chittyid binary}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release -p chittyid >/dev/null 2>&1
seconds=${CHITTYID_BENCH_SECONDS:-6}
work=$(mktemp -d) key=bench-key
trap 'rm -rf "$work"' EXIT
row() { # label binary
  local port=$((18800 + RANDOM % 100))
  env -u DATABASE_URL -u REDIS_URL -u OTEL_EXPORTER_OTLP_ENDPOINT CHITTYID_API_KEYS=$key \
    CHITTYID_RATE_LIMIT=0 CHITTYID_VALIDATION_LIMIT=0 RUST_LOG=warn "$2" serve --listen 127.0.0.1:$port \
    --data-dir "$work/$1-$port" 2>/dev/null &
  local pid=$!
  for _ in $(seq 1 100); do curl -sf http://127.0.0.1:$port/health >/dev/null && break; sleep 0.1; done
  local validate generate
  validate=$(CHITTYID_BENCH_TOKEN=$key wrk -t2 -c64 -d${seconds}s --latency -s scripts/bench/get.lua \
    "http://127.0.0.1:$port/api/id/validate/03-1-USA-0001-P-2602-0-85")
  generate=$(CHITTYID_BENCH_TOKEN=$key wrk -t2 -c16 -d${seconds}s --latency -s scripts/bench/generate.lua \
    "http://127.0.0.1:$port/api/id/generate")
  printf '| %s | %s (p99 %s) | %s (p99 %s) |\n' "$1" \
    "$(awk '/Requests\/sec/ {print $2}' <<<"$validate")" "$(awk '$1=="99%" {print $2}' <<<"$validate")" \
    "$(awk '/Requests\/sec/ {print $2}' <<<"$generate")" "$(awk '$1=="99%" {print $2}' <<<"$generate")"
  kill $pid; wait $pid 2>/dev/null || true
}
echo "| binary | validate req/s, 64 conns | generate req/s, 16 conns |"
echo "|---|---|---|"
for _ in 1 2; do
  row baseline "$BASE"
  row "this tree" target/release/chittyid
done
