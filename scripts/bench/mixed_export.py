"""A mixed export for the benchmarks: 1,000,000 lines (88 % canonical IDs, 4 % canonical typos,
2 % 2025-form IDs, 2 % status placeholders, 1 % reserved patterns, 3 % junk and deprecated
forms), always the same (seed 13). Usage: python3 mixed_export.py DIR (writes DIR/export.txt)."""
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
