#!/usr/bin/env bash
# The contract check: schemathesis (PyPI) against a running `chittyid authority` and a
# `chittyid serve` gateway in front of it, each with its served OpenAPI document
# (/openapi.json) and a valid token, with all of schemathesis's checks: every answer must match
# the document (status code, content type, body schema), none may be a 5xx, what the document
# forbids is refused and what it allows is accepted. A fixed seed keeps runs repeatable;
# installs schemathesis when missing.
#
# Usage: scripts/contract.sh [path to the chittyid binary]   (default: target/debug/chittyid)
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-target/debug/chittyid}
if ! command -v schemathesis >/dev/null 2>&1; then
  PATH="$(bash scripts/python-tools.sh):$PATH"
fi
work=$(mktemp -d) token="contract-token-$RANDOM$RANDOM" key="contract-key-$RANDOM$RANDOM"
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
authority_port=$(free_port) gateway_port=$(free_port)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
wait_for() {
  for _ in $(seq 1 100); do
    curl -sf "$1" >/dev/null && return 0
    sleep 0.1
  done
  echo "contract: $1 never answered" >&2
  exit 1
}
env -u DATABASE_URL -u REDIS_URL CHITTYID_AUTHORITY_TOKENS="$token" RUST_LOG=error \
  "$binary" authority --listen "127.0.0.1:$authority_port" --data-dir "$work/authority" 2>/dev/null &
pids+=($!)
wait_for "http://127.0.0.1:$authority_port/v1/health"
# A rate limit no run reaches: the checks are about the document, and 429 is in it.
env -u DATABASE_URL -u REDIS_URL CHITTYID_API_KEYS="$key" RUST_LOG=error \
  CHITTYID_SERVICE_URL="http://127.0.0.1:$authority_port" CHITTY_ID_TOKEN="$token" \
  CHITTYID_RATE_LIMIT=1000000 \
  "$binary" serve --listen "127.0.0.1:$gateway_port" --data-dir "$work/gateway" 2>/dev/null &
pids+=($!)
wait_for "http://127.0.0.1:$gateway_port/ready"
# Every check schemathesis has: the answers conform, and requests the document forbids are
# refused while those it allows are accepted.
checks=all
status=0
for target in "authority $authority_port $token" "gateway $gateway_port $key"; do
  read -r name port secret <<<"$target"
  echo "contract: schemathesis against the $name's /openapi.json"
  schemathesis run "http://127.0.0.1:$port/openapi.json" \
    -H "Authorization: Bearer $secret" --checks "$checks" \
    --max-examples 50 --seed 20261126 --no-color >"$work/$name.log" 2>&1 && ok=1 || ok=0
  if [ "$ok" = 1 ]; then tail -n 15 "$work/$name.log"; else cat "$work/$name.log"; status=1; fi
done
exit $status
