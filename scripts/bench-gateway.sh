#!/usr/bin/env bash
# The gateway's benchmarks, in one run on this machine with one load tool (wrk, loopback):
#  1. GET /api/id/validate/{id} against a bare hyper "hello" server, at 64 connections;
#  2. generate through the gateway to the authority over HTTP, against minting straight at the
#     authority (the same authority process), at 16 connections;
#  3. generate with the upstream black-holed and the breaker open: latency of the refusals;
#  4. the floor for a hop: minting straight at the authority, through nginx doing nothing but
#     proxy_pass (Debian nginx-light, one worker, keepalive to the authority), and through the
#     gateway, with the hop's CPU time per request from /proc/<pid>/stat.
# Prints one table per part. Requests per second and latency come from wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
command -v nginx >/dev/null || { apt-get update -qq && apt-get install -y -qq nginx-light >/dev/null; }
cargo build --release -p chittyid -p chittyid-http --example hello >/dev/null 2>&1
cargo build --release -p chittyid >/dev/null 2>&1
seconds=${CHITTYID_BENCH_SECONDS:-15}
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
wait_for() { for _ in $(seq 1 100); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done; echo "no answer from $1" >&2; exit 1; }

hello=127.0.0.1:18790 authority=127.0.0.1:18788 gateway=127.0.0.1:18787 dead_gateway=127.0.0.1:18786
token="bench-authority-$RANDOM$RANDOM" key="bench-key-$RANDOM$RANDOM"

target/release/examples/hello "$hello" & pids+=($!)
CHITTYID_AUTHORITY_TOKENS="$token" RUST_LOG=warn target/release/chittyid authority \
  --listen "$authority" --data-dir "$work/authority" & pids+=($!)
wait_for "http://$authority/v1/health"
CHITTYID_SERVICE_URL="http://$authority/v1" CHITTY_ID_TOKEN="$token" CHITTYID_API_KEYS="$key" \
  CHITTYID_RATE_LIMIT=0 CHITTYID_VALIDATION_LIMIT=0 RUST_LOG=warn target/release/chittyid serve --listen "$gateway" \
  --data-dir "$work/gateway" & pids+=($!)
wait_for "http://$gateway/health"
wait_for "http://$hello/"

run() { # connections script url token [path]
  CHITTYID_BENCH_TOKEN="$4" CHITTYID_BENCH_PATH="${5:-}" wrk -t"$(( $1 < 2 ? 1 : 2 ))" -c"$1" -d"${seconds}s" --latency -s "$2" "$3"
}
field() { awk -v name="$1" '$1 == name { print $2 }' <<<"$2"; }
row() { # label output
  printf '%s | %s | %s | %s | %s\n' "$1" "$(field requests_per_second "$2")" "$(field p50_ms "$2")" \
    "$(field p99_ms "$2")" "$(( $(field non_2xx "$2") + $(field errors "$2") ))"
}

echo "## validate vs bare hyper, 64 connections, ${seconds}s each"
echo "target | requests/s | p50 ms | p99 ms | errors"
out=$(run 64 scripts/bench/get.lua "http://$hello/" "")
row "bare hyper hello" "$out"; hello_rps=$(field requests_per_second "$out")
out=$(run 64 scripts/bench/get.lua "http://$gateway/api/id/validate/03-1-USA-0001-P-2602-0-85" "$key")
row "GET /api/id/validate/{id}" "$out"; validate_rps=$(field requests_per_second "$out")
awk -v v="$validate_rps" -v h="$hello_rps" 'BEGIN { printf "validate / hello = %.1f %%\n\n", 100 * v / h }'

echo "## generate through the gateway vs minting at the authority, 16 connections"
echo "Three rounds, alternating, ${seconds}s each (the authority's store grows and checkpoints"
echo "as it goes, so order matters); medians compared."
echo "round | path | requests/s | p50 ms | p99 ms | errors"
direct=() through=() direct_p50=() through_p50=() direct_p99=() through_p99=()
for round in 1 2 3; do
  out=$(run 16 scripts/bench/generate.lua "http://$authority" "$token" /v1/mint)
  row "$round | straight to the authority" "$out"
  direct+=("$(field requests_per_second "$out")"); direct_p50+=("$(field p50_ms "$out")"); direct_p99+=("$(field p99_ms "$out")")
  out=$(run 16 scripts/bench/generate.lua "http://$gateway" "$key" /api/id/generate)
  row "$round | gateway -> authority" "$out"
  through+=("$(field requests_per_second "$out")"); through_p50+=("$(field p50_ms "$out")"); through_p99+=("$(field p99_ms "$out")")
done
median() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
awk -v g="$(median "${through[@]}")" -v d="$(median "${direct[@]}")" \
  -v gp50="$(median "${through_p50[@]}")" -v dp50="$(median "${direct_p50[@]}")" \
  -v gp99="$(median "${through_p99[@]}")" -v dp99="$(median "${direct_p99[@]}")" \
  'BEGIN { printf "medians: straight %d, through the gateway %d req/s; throughput lost: %.1f %%; added latency p50 %.2f ms, p99 %.2f ms\n\n", d, g, 100 * (1 - g / d), gp50 - dp50, gp99 - dp99 }'

echo "## upstream black-holed, breaker open, 1, 8 and 64 connections, ${seconds}s each"
# A port that accepts nothing: the listener is bound but never accepted from (backlog 1), so
# connections hang; the gateway's attempts time out and the breaker opens.
python3 - <<'PY' & pids+=($!)
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 18789)); s.listen(1)
time.sleep(3600)
PY
sleep 0.3
CHITTYID_SERVICE_URL="http://127.0.0.1:18789/v1" CHITTY_ID_TOKEN="$token" CHITTYID_API_KEYS="$key" \
  CHITTYID_RATE_LIMIT=0 CHITTYID_VALIDATION_LIMIT=0 RUST_LOG=error target/release/chittyid serve --listen "$dead_gateway" \
  --data-dir "$work/dead" & pids+=($!)
wait_for "http://$dead_gateway/health"
# Trip the breaker: the recommended preset opens after 5 failed calls.
for _ in 1 2 3 4 5 6; do
  curl -s -o /dev/null -X POST "http://$dead_gateway/api/id/generate" -H "Authorization: Bearer $key" \
    -H 'Content-Type: application/json' -d '{"entity":"PEO"}' --max-time 10 || true
done
curl -s "http://$dead_gateway/api/id/health" | python3 -c 'import json,sys; print("breaker:", json.load(sys.stdin)["resilience"]["circuitBreaker"]["state"])'
echo "connections | requests/s | p50 ms | p99 ms | non-2xx+errors"
for c in 1 8 64; do
  out=$(run "$c" scripts/bench/generate.lua "http://$dead_gateway" "$key" /api/id/generate)
  row "$c" "$out"
done
curl -s "http://$dead_gateway/api/id/generate" -X POST -H "Authorization: Bearer $key" \
  -H 'Content-Type: application/json' -d '{"entity":"PEO"}'; echo

echo
echo "## a hop in front of the authority, 16 connections, ${seconds}s each: direct, nginx, gateway"
cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  upstream authority { server $authority; keepalive 64; }
  server {
    listen 127.0.0.1:18784;
    location / {
      proxy_pass http://authority;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
NGINX
nginx -c "$work/nginx.conf" -p "$work" & pids+=($!)
wait_for "http://127.0.0.1:18784/v1/health"
nginx_worker=$(pgrep -P "$(cat "$work/nginx.pid")" | head -n 1)
gateway_pid=$(pgrep -f "chittyid serve --listen $gateway" | head -n 1)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
echo "path | requests/s | p50 ms | p99 ms | errors | hop CPU µs per request"
for target in "direct|http://$authority|$token|/v1/mint|" "nginx|http://127.0.0.1:18784|$token|/v1/mint|$nginx_worker" \
              "gateway|http://$gateway|$key|/api/id/generate|$gateway_pid"; do
  IFS='|' read -r label url bearer path pid <<<"$target"
  before=$([ -n "$pid" ] && cpu "$pid" || echo 0)
  out=$(run 16 scripts/bench/generate.lua "$url" "$bearer" "$path")
  after=$([ -n "$pid" ] && cpu "$pid" || echo 0)
  requests=$(( $(field requests_per_second "$out") * seconds ))
  per_request=$(awk -v t=$(( after - before )) -v n="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN { if (n > 0 && t > 0) printf "%.0f", t / hz * 1e6 / n; else print "-" }')
  printf '%s | %s | %s | %s | %s | %s\n' "$label" "$(field requests_per_second "$out")" "$(field p50_ms "$out")" \
    "$(field p99_ms "$out")" "$(( $(field non_2xx "$out") + $(field errors "$out") ))" "$per_request"
done
