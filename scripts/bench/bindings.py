"""Validations per second of the chittyid-format Python package over a mixed export, against
regular expressions in the same process: the v2.2.0 client's, and the one ChittyOS's
chittyscore checks IDs with. Usage: python bindings.py EXPORT"""

import re
import sys
import time

import chittyid

text = open(sys.argv[1], encoding="utf-8").read()
lines = text.split("\n")[:-1]
V2_2_0 = re.compile(r"^[A-Z]{2}-[A-Z]-[A-Z]{3}-[0-9]{4}-[A-Z]-[0-9]{2}-[A-Z]-[0-9A-Z]$")
CHITTYSCORE = re.compile(r"^[A-Z0-9]{2}-[A-Z]-[A-Z]{3}-[A-Z0-9]{4}-E-\d{4}-[A-Z0-9]-[A-Z0-9]{2}$")


def bench(label, run):
    run()
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        answer = run()
        best = min(best, time.perf_counter() - start)
    print(f"| Python | {label} | {best:.3f} s | {len(lines) / best:,.0f} /s | {answer} |")


is_valid = chittyid.is_valid
bench("`is_valid(line)` per line", lambda: sum(1 for l in lines if is_valid(l)))
bench("the v2.2.0 regex per line", lambda: sum(1 for l in lines if V2_2_0.match(l)))
bench("chittyscore's regex per line", lambda: sum(1 for l in lines if CHITTYSCORE.match(l)))
bench("`summary(text)`, one call", lambda: chittyid.summary(text)["valid"])
bench("`validate_lines(text)`, one call", lambda: sum(r["valid"] for r in chittyid.validate_lines(text)))
bench("`validate(line)` per line", lambda: sum(chittyid.validate(l)["valid"] for l in lines))
