"""What the tests compare against: the vectors of docs/format.md, the shared edge cases, and the
chittyid command line (CHITTYID_BIN, or the workspace's debug build)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import List

import pytest

REPO = Path(__file__).resolve().parents[3]


def document_vectors() -> List[str]:
    doc = (REPO / "docs" / "format.md").read_text(encoding="utf-8")
    block = re.search(r"```vectors\n(.*?)```", doc, re.S)
    assert block, "docs/format.md has no vectors block"
    vectors = [line for line in block.group(1).split("\n") if line]
    shapes = re.findall(r"^\| `[a-z0-9_]+` \| `([^`]+)` \|", doc, re.M)
    assert len(vectors) >= 5 and len(shapes) >= 10, (vectors, shapes)
    return vectors + shapes


EDGE_CASES: List[str] = json.loads((REPO / "bindings" / "edge-cases.json").read_text(encoding="utf-8"))
INPUTS = document_vectors() + EDGE_CASES


class Cli:
    def __init__(self, binary: Path) -> None:
        self.binary = binary

    def __call__(self, args: List[str], stdin: str = "") -> str:
        done = subprocess.run(
            [str(self.binary), *args], input=stdin.encode(), capture_output=True, check=False
        )
        # `validate` exits 1 when any input is invalid; its output is still the answer.
        assert done.returncode in (0, 1), done.stderr.decode(errors="replace")
        return done.stdout.decode()


@pytest.fixture(scope="session")
def cli() -> Cli:
    binary = Path(os.environ.get("CHITTYID_BIN", REPO / "target" / "debug" / "chittyid"))
    if not binary.exists():
        pytest.fail(
            f"no chittyid binary at {binary}: build it (cargo build -p chittyid at the "
            "repository's root) or set CHITTYID_BIN"
        )
    return Cli(binary)
