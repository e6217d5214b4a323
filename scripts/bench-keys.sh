#!/usr/bin/env bash
# Keyed generates on the embedded default: every request carries a new Idempotency-Key. Run
# twice in one go: with no keys held, then with KEYS_HELD (default 200,000) unexpired keys
# already in the store (inserted with SQL), to show the cost per request does not grow with
# the keys held. wrk on loopback, 16 connections.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
command -v sqlite3 >/dev/null || { apt-get update -qq && apt-get install -y -qq sqlite3 >/dev/null; }
cargo build --release -p chittyid >/dev/null 2>&1
seconds=${CHITTYID_BENCH_SECONDS:-10} held=${KEYS_HELD:-200000}
work=$(mktemp -d) key="bench-key-$RANDOM$RANDOM" gateway=127.0.0.1:18797
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
start() {
  CHITTYID_API_KEYS="$key" CHITTYID_RATE_LIMIT=0 CHITTYID_VALIDATION_LIMIT=0 RUST_LOG=warn target/release/chittyid serve \
    --listen "$gateway" --data-dir "$work" & pid=$!
  for _ in $(seq 1 100); do curl -sf "http://$gateway/health" >/dev/null && return 0; sleep 0.1; done
  echo "the gateway did not start" >&2; exit 1
}
run() {
  CHITTYID_BENCH_KEYED=1 CHITTYID_BENCH_TOKEN="$key" CHITTYID_BENCH_PATH=/api/id/generate \
    wrk -t2 -c16 -d"${seconds}s" --latency -s scripts/bench/generate.lua "http://$gateway" |
    awk '$1 == "requests_per_second" || $1 == "p50_ms" || $1 == "p99_ms" { printf "%s %s  ", $1, $2 } END { print "" }'
}
start
echo "keys held before the run: $(sqlite3 "$work/authority.db" 'SELECT count(*) FROM gateway_keys')"
run
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
sqlite3 "$work/authority.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $held)
  INSERT INTO gateway_keys SELECT 'filler', 'k' || i, printf('%064d', 0), 'done', '[]',
  CAST(strftime('%s','now') AS INTEGER) * 1000, CAST(strftime('%s','now') AS INTEGER) * 1000 + 86400000 FROM n"
start
echo "keys held before the run: $(sqlite3 "$work/authority.db" 'SELECT count(*) FROM gateway_keys')"
run
