#!/usr/bin/env bash
# What the mint log costs. Two parts, each in one run:
#
#   1. Mints per second and the authority's CPU per mint with the log (this build) against a
#      build without it (BASELINE_BIN), at 16 connections (or the counts given), on the embedded
#      SQLite store and on a PostgreSQL database of its own (CHITTYID_BENCH_STORES picks them),
#      each round alternating which build runs first (A B, B A, ...).
#      CPU is the authority process's user + system time over the run (its checkpointer
#      included) divided by the mints it answered.
#   2. A log of a million leaves (PROOF_LEAVES; 0 skips it): minted in batches, then the time to answer a
#      proof over HTTP (2,000 random IDs, one connection), the proof's size, a consistency
#      proof's size, and `chittyid authority verify-log` over the whole log.
#
# Usage: BASELINE_BIN=/path/to/old/chittyid scripts/bench-log.sh [connections ...]
# (NEW_BIN=/path/to/chittyid measures that binary instead of building this tree.)
# Needs DATABASE_URL (a server it may create databases on) for the PostgreSQL runs.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
if [ -n "${NEW_BIN:-}" ]; then
  new_bin=$NEW_BIN
else
  cargo build --release -p chittyid >/dev/null 2>&1
  new_bin=$PWD/target/release/chittyid
fi
old_bin=${BASELINE_BIN:?set BASELINE_BIN to a chittyid built without the mint log}
duration=${CHITTYID_BENCH_SECONDS:-15}
rounds=${CHITTYID_BENCH_ROUNDS:-2}
leaves=${PROOF_LEAVES:-1000000}
port=${CHITTYID_BENCH_PORT:-18790}
token="bench-$(date +%s%N)"
work=$(mktemp -d)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
hz=$(getconf CLK_TCK)

start() { # bin data-dir [database-url]
  if [ -n "${3:-}" ]; then
    DATABASE_URL="$3" CHITTYID_AUTHORITY_TOKENS="$token" RUST_LOG=warn \
      "$1" authority --listen "127.0.0.1:$port" --data-dir "$2" &
  else
    env -u DATABASE_URL CHITTYID_AUTHORITY_TOKENS="$token" RUST_LOG=warn \
      "$1" authority --listen "127.0.0.1:$port" --data-dir "$2" &
  fi
  server=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/v1/health" >/dev/null && return; sleep 0.1; done
  echo "the authority did not start" >&2; exit 1
}
stop() { kill "$server"; wait "$server" 2>/dev/null || true; server=; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$server/stat"; }
metric() { curl -sf "http://127.0.0.1:$port/v1/metrics" | awk -v name="$1" '$1 == name { print $2 }'; }

run() { # label bin store connections
  local dir=$work/$RANDOM$RANDOM url=
  if [ "$3" = postgres ]; then
    local db="bench_log_$RANDOM$RANDOM"
    psql "${DATABASE_URL:?DATABASE_URL is needed for the PostgreSQL runs}" -qc "CREATE DATABASE $db" >/dev/null
    url="${DATABASE_URL%/*}/$db"
  fi
  start "$2" "$dir" "$url"
  local before_mints before_cpu out mints cpu
  before_mints=$(metric chittyid_authority_mints_total)
  before_cpu=$(cpu_ticks)
  out=$(CHITTYID_BENCH_TOKEN="$token" CHITTYID_BENCH_PATH=/v1/mint wrk -t2 -c"$4" \
    -d"${duration}s" --latency -s scripts/bench/generate.lua "http://127.0.0.1:$port")
  cpu=$(( $(cpu_ticks) - before_cpu ))
  mints=$(( $(metric chittyid_authority_mints_total) - before_mints ))
  stop
  printf '%s | %s | %s | %s | %s | %s | %s\n' "$1" "$3" "$4" \
    "$(awk '$1 == "requests_per_second" { print $2 }' <<<"$out")" \
    "$(awk '$1 == "p99_ms" { print $2 }' <<<"$out")" \
    "$(awk -v t="$cpu" -v m="$mints" -v hz="$hz" 'BEGIN { printf "%.1f", t * 1e6 / hz / m }')" \
    "$(awk '$1 == "errors" || $1 == "non_2xx" { sum += $2 } END { print sum + 0 }' <<<"$out")"
}

echo "## Mints with the log against without"
echo
echo "build | store | connections | mints/s | p99 ms | CPU µs per mint | errors"
echo "---|---|---|---|---|---|---"
# Rounds alternate which build goes first (A B, B A, ...): a run leaves the disk and the
# database server busy for a while after it ends, which would otherwise count against the
# second build every time.
for store in ${CHITTYID_BENCH_STORES:-sqlite postgres}; do
  for c in "${@:-16}"; do
    for round in $(seq 1 "$rounds"); do
      if [ $(( round % 2 )) -eq 1 ]; then
        run "without the log" "$old_bin" "$store" "$c"
        run "with the log" "$new_bin" "$store" "$c"
      else
        run "with the log" "$new_bin" "$store" "$c"
        run "without the log" "$old_bin" "$store" "$c"
      fi
    done
  done
done

[ "$leaves" -gt 0 ] || exit 0
echo
echo "## Proofs in a log of $leaves leaves (SQLite)"
echo
dir=$work/million
start "$new_bin" "$dir"
minted=$(python3 scripts/bench/mint_many.py "127.0.0.1:$port" "$token" "$leaves" "$work/ids")
echo "minted: $minted"
for _ in $(seq 1 100); do
  size=$(curl -sf "http://127.0.0.1:$port/v1/log/checkpoint" | sed -n 2p)
  [ "$size" -ge "$leaves" ] && break
  sleep 0.2
done
echo "checkpointed: $size leaves"
python3 scripts/bench/proofs.py "127.0.0.1:$port" "$work/ids" 2000 "$size"
stop
start_ns=$(date +%s%N)
verdict=$(env -u DATABASE_URL "$new_bin" authority verify-log --data-dir "$dir" | tail -1)
echo "verify-log: $(( ($(date +%s%N) - start_ns) / 1000000 )) ms: $verdict"
