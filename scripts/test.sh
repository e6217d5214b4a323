#!/usr/bin/env bash
# Sets up what the tests need and runs them. Works on a fresh Debian machine that has only the
# Rust toolchain: PostgreSQL and Redis are started, or installed from Debian's packages and
# started, when 127.0.0.1 does not answer for them. Run as root, or as a user with sudo.
#
# Environment: DATABASE_URL and REDIS_URL default to the local servers below; the tests that
# need them read these variables. CHITTYID_SKIP_SERVICES=1 skips the service setup (for a
# machine where only the in-process tests can run).
set -euo pipefail
cd "$(dirname "$0")/.."

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"

if [ "${CHITTYID_SKIP_SERVICES:-0}" != "1" ]; then
  bash scripts/services.sh
fi

cargo test --workspace --locked "$@"
