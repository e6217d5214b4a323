#!/usr/bin/env bash
# Sets up what the tests need and runs them. Works on a fresh Debian machine that has only the
# Rust toolchain. Run as root: the full-disk tests mount a small tmpfs (util-linux `mount`,
# installed here if missing) to fill a real disk.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v mount >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then as_root=(); else as_root=(sudo); fi
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mount >/dev/null
fi

cargo test --workspace --locked "$@"
