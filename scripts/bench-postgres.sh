#!/usr/bin/env bash
# Authority mints per second on PostgreSQL beside SQLite, and beside pgbench's single-row
# inserts on the same server (a transaction per row: what a naive design would get), in one
# run, at 1, 16 and 64 connections. wrk and pgbench on loopback.
#
# DATABASE_URL names the server (default: the local one the tests use); a database
# chittyid_bench_<n> is created on it and dropped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release -p chittyid >/dev/null 2>&1
server=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
base=${server%/*}
db="chittyid_bench_$RANDOM$RANDOM"
seconds=${CHITTYID_BENCH_SECONDS:-10}
work=$(mktemp -d) token="bench-$RANDOM$RANDOM" port=18798
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true
  psql "$server" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
psql "$server" -qc "CREATE DATABASE $db"
url="$base/$db"

echo "## pgbench: one row inserted per transaction (${seconds}s each)"
psql "$url" -qc "CREATE TABLE bench_rows (id BIGSERIAL PRIMARY KEY, chitty_id TEXT NOT NULL, caller_hash TEXT NOT NULL, minted_at_unix_ms BIGINT NOT NULL)"
cat > "$work/insert.sql" <<'SQL'
INSERT INTO bench_rows (chitty_id, caller_hash, minted_at_unix_ms) VALUES (md5(random()::text), md5(random()::text), 0);
SQL
echo "connections | inserts/s"
for c in 1 16 64; do
  tps=$(pgbench -n -c "$c" -j 2 -T "$seconds" -f "$work/insert.sql" "$url" 2>/dev/null | awk '/^tps/ { print int($3) }')
  echo "$c | $tps"
done

start() { # url-or-empty
  if [ -n "$1" ]; then export DATABASE_URL="$1"; else unset DATABASE_URL; fi
  CHITTYID_AUTHORITY_TOKENS="$token" RUST_LOG=warn target/release/chittyid authority \
    --listen "127.0.0.1:$port" --data-dir "$work/data-$RANDOM" & pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/v1/health" >/dev/null && return 0; sleep 0.1; done
  echo "the authority did not start" >&2; exit 1
}
metric() { curl -sf "http://127.0.0.1:$port/v1/metrics" | awk -v name="$1" '$1 == name { print $2 }'; }
mints() { # label
  echo "connections | mints/s | p50 ms | p99 ms | errors | transactions per mint"
  for c in 1 16 64; do
    before_mints=$(metric chittyid_authority_mints_total) before_tx=$(metric chittyid_authority_store_transactions_total)
    out=$(CHITTYID_BENCH_TOKEN="$token" CHITTYID_BENCH_PATH=/v1/mint wrk -t"$(( c < 2 ? 1 : 2 ))" -c"$c" \
      -d"${seconds}s" --latency -s scripts/bench/generate.lua "http://127.0.0.1:$port")
    m=$(( $(metric chittyid_authority_mints_total) - before_mints )) t=$(( $(metric chittyid_authority_store_transactions_total) - before_tx ))
    printf '%s | %s | %s | %s | %s | %s\n' "$c" "$(awk '$1 == "requests_per_second" { print $2 }' <<<"$out")" \
      "$(awk '$1 == "p50_ms" { print $2 }' <<<"$out")" "$(awk '$1 == "p99_ms" { print $2 }' <<<"$out")" \
      "$(awk '$1 == "errors" || $1 == "non_2xx" { s += $2 } END { print s }' <<<"$out")" \
      "$(awk -v t="$t" -v m="$m" 'BEGIN { printf "%.3f", t / m }')"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
}
echo; echo "## chittyid authority on PostgreSQL (${seconds}s each)"
start "$url"; mints
echo; echo "## chittyid authority on SQLite (${seconds}s each)"
start ""; mints

echo; echo "## chittyid serve on PostgreSQL: generates (each with its audit row committed) (${seconds}s each)"
export DATABASE_URL="$url"
CHITTYID_API_KEYS="$token" CHITTYID_RATE_LIMIT=0 CHITTYID_VALIDATION_LIMIT=0 RUST_LOG=warn target/release/chittyid serve \
  --listen "127.0.0.1:$port" --data-dir "$work/gateway" & pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
before=$(psql "$url" -Atc "SELECT count(*) FROM audit_events")
echo "connections | generates/s | p50 ms | p99 ms | errors"
for c in 16 64; do
  out=$(CHITTYID_BENCH_TOKEN="$token" CHITTYID_BENCH_PATH=/api/id/generate wrk -t2 -c"$c" \
    -d"${seconds}s" --latency -s scripts/bench/generate.lua "http://127.0.0.1:$port")
  printf '%s | %s | %s | %s | %s\n' "$c" "$(awk '$1 == "requests_per_second" { print $2 }' <<<"$out")" \
    "$(awk '$1 == "p50_ms" { print $2 }' <<<"$out")" "$(awk '$1 == "p99_ms" { print $2 }' <<<"$out")" \
    "$(awk '$1 == "errors" || $1 == "non_2xx" { s += $2 } END { print s }' <<<"$out")"
done
echo "audit rows committed: $(( $(psql "$url" -Atc "SELECT count(*) FROM audit_events") - before ))"
