#!/usr/bin/env bash
# Sets up what the tests need and runs them. Works on a fresh Debian machine that has only the
# Rust toolchain. Run as root: PostgreSQL is started, or installed from Debian's packages and
# started, when 127.0.0.1:5432 does not answer; the full-disk tests mount a small tmpfs
# (util-linux `mount`, installed here if missing).
#
# DATABASE_URL defaults to that local server; the PostgreSQL tests create a database of their
# own on it for each test and drop it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
bash scripts/services.sh

if ! command -v mount >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then as_root=(); else as_root=(sudo); fi
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mount >/dev/null
fi

cargo test --workspace --locked "$@"
