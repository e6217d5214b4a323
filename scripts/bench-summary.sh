#!/usr/bin/env bash
# `chittyid validate --summary` over a mixed export, against plain `validate` in the same run:
# 1,000,000 lines (88 % canonical IDs, 4 % canonical typos, 2 % 2025-form IDs, 2 % status
# placeholders, 1 % reserved patterns, 3 % junk), then the same file ten times (10,000,000
# lines) with --summary --quiet to show the memory does not grow. Wall time and peak RSS from
# GNU time. With BASE=<binary>, plain `validate` of that binary too (the CLI before --summary).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
cargo build --release -p chittyid >/dev/null 2>&1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
import random, sys
work = sys.argv[1]
random.seed(13)
L = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
def checksum(body):
    c = 0
    for ch in body.replace('-', ''):
        c = (c * 10 + int(ch)) % 97 if ch.isdigit() else (c * 100 + ord(ch) - 55) % 97
    return (98 - c) % 97
def canonical():
    body = (f"03-{random.randint(1, 9)}-{''.join(random.choice(L) for _ in range(3))}-"
            f"{random.randint(0, 9999):04d}-{random.choice('PLTEA')}-"
            f"{random.randint(0, 99):02d}{random.randint(1, 12):02d}-{random.randint(0, 5)}")
    return f"{body}-{checksum(body):02d}"
def id2025():
    prefix = random.choice(['PEO', 'PLA', 'PRO', 'EVN', 'AUT', 'INF', 'FAC', 'CON', 'ACT'])
    body = (f"01-{random.choice(L)}-{prefix}-{random.randint(0, 9999):04d}-{prefix[0]}-"
            f"{random.randint(20, 25):02d}{random.randint(1, 12):02d}-{random.randint(0, 9)}")
    return f"{body}-{checksum(body):02d}"
def typo():
    chars = list(canonical())
    i = random.randrange(len(chars))
    if chars[i] != '-':
        chars[i] = random.choice('0123456789' + L)
    return ''.join(chars)
with open(f'{work}/export.txt', 'w') as out:
    for _ in range(1_000_000):
        r = random.random()
        if r < 0.88: line = canonical()
        elif r < 0.92: line = typo()
        elif r < 0.94: line = id2025()
        elif r < 0.96: line = f"00-{random.randint(1, 4)}-ERR-{random.choice([5030, 5031, 4290, 5040])}-S-0000-0-0"
        elif r < 0.97: line = random.choice(['00-0-SYS-1111-H-1111-1-1', '00-0-ADM-2222-K-0000-0-0', '99-9-TST-0001-P-2602-0-85'])
        else: line = random.choice(['', 'n/a', 'CHITTY-INFO-123-ABC', 'chitty_1234567890_abc123', 'TBD'])
        out.write(line + '\n')
PY
for _ in $(seq 1 10); do cat "$work/export.txt"; done > "$work/export10.txt"
run() { # label input binary args...
  local label=$1 input=$2 binary=$3; shift 3
  /usr/bin/time -f "%e %M" -o "$work/time" "$binary" validate "$@" < "$input" > "$work/out" || true
  read -r seconds kib < <(tail -n 1 "$work/time")
  local lines; lines=$(wc -l < "$input")
  printf '| %s | %s | %.2f s | %s IDs/s | %s MiB |\n' "$label" "$lines" "$seconds" \
    "$(python3 -c "print(f'{$lines / max($seconds, 0.001):,.0f}')")" "$(( kib / 1024 ))"
}
echo "| run | lines | time | rate | peak RSS |"
echo "|---|---|---|---|---|"
bin=target/release/chittyid
for _ in 1 2; do
  [ -n "${BASE:-}" ] && run "baseline validate (text)" "$work/export.txt" "$BASE"
  run "validate (text)" "$work/export.txt" "$bin"
  run "validate --summary (text)" "$work/export.txt" "$bin" --summary
  run "validate --summary --quiet" "$work/export.txt" "$bin" --summary --quiet
  run "validate --json --summary --quiet" "$work/export.txt" "$bin" --json --summary --quiet
done
for _ in 1 2; do
  [ -n "${BASE:-}" ] && run "baseline validate (text), 10x" "$work/export10.txt" "$BASE"
  run "validate (text), 10x" "$work/export10.txt" "$bin"
  run "validate --summary (text), 10x" "$work/export10.txt" "$bin" --summary
  run "validate --summary --quiet, 10x" "$work/export10.txt" "$bin" --summary --quiet
done
echo
echo "The summary of the 1,000,000-line export:"
"$bin" validate --summary --quiet < "$work/export.txt" || true
