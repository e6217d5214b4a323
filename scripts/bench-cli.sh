#!/usr/bin/env bash
# Times `chittyid validate` over 1,000,000 generated IDs (valid, then one typo each) and prints
# IDs per second. Needs python3 to generate the input.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p chittyid >/dev/null 2>&1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
import random, sys
work = sys.argv[1]
random.seed(1)
def checksum(body):
    c = 0
    for ch in body.replace('-', ''):
        c = (c * 10 + int(ch)) % 97 if ch.isdigit() else (c * 100 + ord(ch) - 55) % 97
    return (98 - c) % 97
letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
with open(f'{work}/valid.txt', 'w') as valid, open(f'{work}/typo.txt', 'w') as typo:
    for _ in range(1_000_000):
        body = (f"03-{random.randint(1, 9)}-{''.join(random.choice(letters) for _ in range(3))}-"
                f"{random.randint(0, 9999):04d}-{random.choice('PLTEA')}-"
                f"{random.randint(0, 99):02d}{random.randint(1, 12):02d}-{random.randint(0, 5)}")
        line = f"{body}-{checksum(body):02d}"
        valid.write(line + '\n')
        chars = list(line)
        i = random.randrange(len(chars))
        if chars[i] != '-':
            chars[i] = random.choice('0123456789' + letters)
        typo.write(''.join(chars) + '\n')
PY
for input in valid typo; do
  for mode in "" --json; do
    start=$(date +%s.%N)
    target/release/chittyid validate $mode < "$work/$input.txt" > /dev/null || true
    end=$(date +%s.%N)
    python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); print(f'{sys.argv[3]:5} {sys.argv[4]:6}: {s:.2f} s, {1e6/s:,.0f} IDs/s')" "$start" "$end" "$input" "${mode:-text}"
  done
done
