#!/usr/bin/env bash
# The cost of the request span (the request id on every log line): the same gateway binary
# with RUST_LOG=info (the default: the span is made for every request) and RUST_LOG=warn (it is
# not), GET /api/id/validate/{id} at 64 connections, wrk, 6 s each, alternating twice.
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release -p chittyid >/dev/null 2>&1
work=$(mktemp -d); key=bench-key
for level in info warn info warn; do
  port=$((18800 + RANDOM % 100))
  env -u DATABASE_URL -u REDIS_URL CHITTYID_API_KEYS=$key CHITTYID_RATE_LIMIT=0 CHITTYID_VALIDATION_LIMIT=0 RUST_LOG=$level target/release/chittyid serve --listen 127.0.0.1:$port --data-dir $work/$level-$port 2>/dev/null &
  pid=$!
  for _ in $(seq 1 100); do curl -sf http://127.0.0.1:$port/health >/dev/null && break; sleep 0.1; done
  out=$(CHITTYID_BENCH_TOKEN=$key wrk -t2 -c64 -d6s --latency -s scripts/bench/get.lua "http://127.0.0.1:$port/api/id/validate/03-1-USA-0001-P-2602-0-85")
  echo "RUST_LOG=$level: $(grep 'Requests/sec' <<<"$out") p99 $(awk '$1=="99%" {print $2}' <<<"$out")"
  kill $pid; wait $pid 2>/dev/null
done
rm -rf $work
