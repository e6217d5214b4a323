#!/usr/bin/env bash
# Mint throughput of `chittyid authority` over HTTP on the embedded SQLite store (durable:
# WAL, synchronous=FULL), measured with wrk on loopback. Prints mints per second, p50 and p99
# latency, and the database writes one mint costs on average.
#
# Usage: scripts/bench-authority.sh [connections ...]   (default: 1 16 64; 20 s each)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release -p chittyid >/dev/null 2>&1
duration=${CHITTYID_BENCH_SECONDS:-20}
port=${CHITTYID_BENCH_PORT:-18788}
work=$(mktemp -d)
token="bench-$(date +%s%N)"
CHITTYID_AUTHORITY_TOKENS="$token" RUST_LOG=warn \
  target/release/chittyid authority --listen "127.0.0.1:$port" --data-dir "$work" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/v1/health" >/dev/null && break; sleep 0.1; done

metric() { curl -sf "http://127.0.0.1:$port/v1/metrics" | awk -v name="$1" '$1 == name { print $2 }'; }

echo "connections | mints/s | p50 ms | p99 ms | errors | transactions per mint | block reservations per mint"
for connections in "${@:-1 16 64}"; do
  for c in $connections; do
    threads=$(( c < 2 ? 1 : 2 ))
    before_mints=$(metric chittyid_authority_mints_total)
    before_tx=$(metric chittyid_authority_store_transactions_total)
    before_blocks=$(metric chittyid_authority_sequence_blocks_total)
    out=$(CHITTYID_BENCH_TOKEN="$token" CHITTYID_BENCH_PATH=/v1/mint wrk -t"$threads" -c"$c" \
      -d"${duration}s" --latency -s scripts/bench/generate.lua "http://127.0.0.1:$port")
    mints=$(( $(metric chittyid_authority_mints_total) - before_mints ))
    tx=$(( $(metric chittyid_authority_store_transactions_total) - before_tx ))
    blocks=$(( $(metric chittyid_authority_sequence_blocks_total) - before_blocks ))
    rate=$(awk '$1 == "requests_per_second" { print $2 }' <<<"$out")
    p50=$(awk '$1 == "p50_ms" { print $2 }' <<<"$out")
    p99=$(awk '$1 == "p99_ms" { print $2 }' <<<"$out")
    errors=$(awk '$1 == "errors" || $1 == "non_2xx" { sum += $2 } END { print sum }' <<<"$out")
    printf '%s | %s | %s | %s | %s | %s | %s\n' "$c" "$rate" "$p50" "$p99" "$errors" \
      "$(awk -v t="$tx" -v m="$mints" 'BEGIN { printf "%.3f", t / m }')" \
      "$(awk -v b="$blocks" -v m="$mints" 'BEGIN { printf "%.3f", b / m }')"
  done
done
