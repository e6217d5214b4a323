"""Asks an authority for the inclusion proofs of SAMPLES random IDs from IDS_FILE against the
tree of SIZE leaves (one keep-alive connection) and prints the mean and p99 time to answer, the
proof's size (hashes, bytes of JSON), and a consistency proof's between size 1 and SIZE.

Usage: python3 proofs.py HOST:PORT IDS_FILE SAMPLES SIZE
"""

import http.client
import json
import random
import sys
import time

address, ids_file, samples, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
host, port = address.rsplit(":", 1)
connection = http.client.HTTPConnection(host, int(port))
with open(ids_file) as lines:
    ids = [line.strip() for line in lines if line.strip()]
random.seed(7)
times, hashes, sizes = [], [], []
for id in random.sample(ids, min(samples, len(ids))):
    started = time.perf_counter()
    connection.request("GET", f"/v1/log/proof/{id}?size={size}")
    answer = connection.getresponse()
    body = answer.read()
    times.append(time.perf_counter() - started)
    if answer.status != 200:
        sys.exit(f"{id}: {answer.status} {body[:200]!r}")
    hashes.append(len(json.loads(body)["hashes"]))
    sizes.append(len(body))
times.sort()
print(
    f"inclusion proof over HTTP: mean {1000 * sum(times) / len(times):.2f} ms, "
    f"p99 {1000 * times[int(len(times) * 0.99) - 1]:.2f} ms ({len(times)} proofs); "
    f"{min(hashes)}-{max(hashes)} hashes, {min(sizes)}-{max(sizes)} bytes of JSON"
)
connection.request("GET", f"/v1/log/consistency?from=1&to={size}")
answer = connection.getresponse()
body = answer.read()
print(
    f"consistency proof 1 -> {size}: {len(json.loads(body)['hashes'])} hashes, "
    f"{len(body)} bytes of JSON"
)
