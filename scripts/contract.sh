#!/usr/bin/env bash
# The contract check: schemathesis (PyPI) against a running `chittyid authority` and its served
# OpenAPI document (/openapi.json), with a valid token. Every answer must match the document
# (status code, content type, body schema) and none may be a 5xx. A fixed seed keeps runs
# repeatable; installs schemathesis when missing.
#
# Usage: scripts/contract.sh [path to the chittyid binary]   (default: target/debug/chittyid)
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-target/debug/chittyid}
if ! command -v schemathesis >/dev/null 2>&1; then
  python3 -m pip install -q schemathesis >/dev/null
fi
work=$(mktemp -d) token="contract-token-$RANDOM$RANDOM"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
env -u DATABASE_URL -u REDIS_URL CHITTYID_AUTHORITY_TOKENS="$token" RUST_LOG=error \
  "$binary" authority --listen "127.0.0.1:$port" --data-dir "$work/authority" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/v1/health" >/dev/null && break
  sleep 0.1
done
echo "contract: schemathesis against the authority's /openapi.json"
schemathesis run "http://127.0.0.1:$port/openapi.json" \
  -H "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples 50 --seed 20261126 --no-color 2>&1 | tail -n 15
