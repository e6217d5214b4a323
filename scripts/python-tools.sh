#!/usr/bin/env bash
# The PyPI tools the tests use (schemathesis for the contract check, kubernetes-validate for the
# deployment tests, pytest and Hypothesis for the Python package's tests), installed into a virtual environment of the project's own
# (target/python-tools), never into the system's Python: Debian's refuses that (PEP 668,
# externally-managed-environment) and a stock Debian has no pip. Creates the environment when
# missing (installing Debian's python3 and python3-venv if it must), installs what is missing in
# it, and prints its bin directory for PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/python-tools
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}
if [ ! -x "$venv/bin/pip" ]; then
  rm -rf "$venv"
  mkdir -p target
  if ! command -v python3 >/dev/null 2>&1 || ! python3 -m venv "$venv" >/dev/null 2>&1; then
    rm -rf "$venv"
    echo "python-tools: installing Debian's python3 and python3-venv" >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      python3 python3-venv >/dev/null
    python3 -m venv "$venv"
  fi
fi
missing=()
[ -x "$venv/bin/schemathesis" ] || missing+=(schemathesis)
[ -x "$venv/bin/kubernetes-validate" ] || missing+=(kubernetes-validate)
[ -x "$venv/bin/pytest" ] || missing+=(pytest)
"$venv/bin/python" -c "import hypothesis" >/dev/null 2>&1 || missing+=(hypothesis)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "python-tools: installing ${missing[*]} into $venv" >&2
  "$venv/bin/python" -m pip install -q "${missing[@]}" >&2
fi
echo "$PWD/$venv/bin"
