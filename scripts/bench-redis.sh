#!/usr/bin/env bash
# The shared verdict cache and rate limit, in one run (wrk and redis-benchmark on loopback; a
# redis-server of this script's own on a free port):
#  1. GET /api/id/validate/{id}?verify=true answered from the gateway's in-process level, from
#     Redis (another gateway asked first), and from the authority (nobody asked), each ID asked
#     once (by the verify_each example: wrk cannot stop after a list); redis-benchmark GET on
#     the same server beside them.
#  2. Generate at 16 connections with the rate limit kept in Redis against kept in process:
#     the added latency of the shared check, p50 and p99.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
command -v redis-benchmark >/dev/null || { apt-get update -qq && apt-get install -y -qq redis-tools redis-server >/dev/null; }
cargo build --release -p chittyid --example verify_each >/dev/null 2>&1
seconds=${CHITTYID_BENCH_SECONDS:-10} count=${CHITTYID_BENCH_IDS:-20000}
work=$(mktemp -d) token="bench-$RANDOM$RANDOM" key="bench-key-$RANDOM$RANDOM"
redis_port=18799 authority=127.0.0.1:18798 first=127.0.0.1:18797 second=127.0.0.1:18796 local_gw=127.0.0.1:18795
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
wait_for() { for _ in $(seq 1 100); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done; echo "no answer from $1" >&2; exit 1; }

redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" >/dev/null & pids+=($!)
CHITTYID_AUTHORITY_TOKENS="$token" RUST_LOG=warn target/release/chittyid authority --listen "$authority" \
  --data-dir "$work/authority" & pids+=($!)
wait_for "http://$authority/v1/health"
gateway() { # address redis-or-empty
  env ${2:+REDIS_URL=$2} CHITTYID_SERVICE_URL="http://$authority/v1" CHITTY_ID_TOKEN="$token" \
    CHITTYID_API_KEYS="$key" CHITTYID_RATE_LIMIT=1000000000 RUST_LOG=warn \
    target/release/chittyid serve --listen "$1" --data-dir "$work/gw-$RANDOM" & pids+=($!)
  wait_for "http://$1/health"
}
gateway "$first" "redis://127.0.0.1:$redis_port"
gateway "$second" "redis://127.0.0.1:$redis_port"
gateway "$local_gw" ""

# 2 x count IDs, minted straight at the authority in batches of 100, over 54 sequence spaces.
for file in seen unseen; do
  : > "$work/$file"
  for _ in $(seq 1 $(( count / 100 ))); do
    curl -sf -X POST "http://$authority/v1/mint/batch" -H "Authorization: Bearer $token" \
      -H 'Content-Type: application/json' \
      -d "$(python3 -c 'import json,random; print(json.dumps({"requests": [{"entity": "PEO", "region": random.randint(1, 9), "trustLevel": random.randint(0, 5)} for _ in range(100)]}))')" |
      python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)["chittyIds"]))' >> "$work/$file"
  done
done

field() { awk -v name="$1" '$1 == name { print $2 }' <<<"$2"; }
verify() { # gateway ids-file label
  printf '%s | %s\n' "$3" "$(target/release/examples/verify_each "http://$1" "$key" "$2" 16)"
}
echo "## ?verify=true, each of $count IDs asked once, 16 connections"
echo "answered by | requests/s | p50 ms | p99 ms | errors"
verify "$first" "$work/seen" "the authority (first gateway, nobody asked before)"
verify "$second" "$work/seen" "Redis (second gateway, the first asked)"
verify "$second" "$work/seen" "the in-process level (second gateway, asked before)"
verify "$second" "$work/unseen" "the authority (second gateway, nobody asked before)"
echo
echo "## redis-benchmark GET on the same server, 16 clients"
redis-benchmark -p "$redis_port" -t get -n 200000 -c 16 -q | tr -d '\r' | sed 's/.*GET: //'

echo
echo "## generate at 16 connections (${seconds}s each): rate limit in Redis vs in process"
echo "rate limit | requests/s | p50 ms | p99 ms | errors"
for target in "$first|in Redis" "$local_gw|in process" "$first|in Redis" "$local_gw|in process"; do
  out=$(CHITTYID_BENCH_TOKEN="$key" CHITTYID_BENCH_PATH=/api/id/generate wrk -t2 -c16 -d"${seconds}s" \
    --latency -s scripts/bench/generate.lua "http://${target%%|*}")
  printf '%s | %s | %s | %s | %s\n' "${target##*|}" "$(field requests_per_second "$out")" "$(field p50_ms "$out")" \
    "$(field p99_ms "$out")" "$(( $(field non_2xx "$out") + $(field errors "$out") ))"
done
