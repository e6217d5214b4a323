"""Mints COUNT IDs through an authority's /v1/mint/batch (100 per call, one keep-alive
connection), spread over 5 entity types x 9 regions x 6 trust levels (270 sequence spaces of
10,000), and writes the IDs to IDS_FILE, one per line. Prints how many were minted.

Usage: python3 mint_many.py HOST:PORT TOKEN COUNT IDS_FILE
"""

import http.client
import json
import sys

address, token, count, ids_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
host, port = address.rsplit(":", 1)
connection = http.client.HTTPConnection(host, int(port))
headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
entities = ["PEO", "PLACE", "PROP", "EVNT", "AUTH"]
minted = 0
with open(ids_file, "w") as out:
    batch = 0
    while minted < count:
        space = batch % 270
        size = min(100, count - minted)
        request = {
            "entity": entities[space % 5],
            "region": 1 + space // 5 % 9,
            "trustLevel": space // 45 % 6,
        }
        connection.request(
            "POST", "/v1/mint/batch", json.dumps({"requests": [request] * size}), headers
        )
        answer = connection.getresponse()
        body = answer.read()
        if answer.status != 200:
            sys.exit(f"batch {batch}: {answer.status} {body[:200]!r}")
        ids = json.loads(body)["chittyIds"]
        out.write("".join(f"{id}\n" for id in ids))
        minted += len(ids)
        batch += 1
print(minted)
