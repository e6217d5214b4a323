"""A Python program that validates a mixed export with the installed package prints what the
command line prints for the same export: a report per line, then the summary."""

from __future__ import annotations

import subprocess
import sys

from conftest import INPUTS

PROGRAM = """
import json, sys
import chittyid
text = open(sys.argv[1], encoding="utf-8").read()
for report in chittyid.validate_lines(text):
    print(json.dumps(report, separators=(",", ":"), ensure_ascii=False))
print(json.dumps({"summary": chittyid.summary(text)}, separators=(",", ":"), ensure_ascii=False))
"""


def test_a_program_validating_a_mixed_export_gets_the_command_lines_answers(cli, tmp_path):
    export = tmp_path / "export.txt"
    text = "\n".join(INPUTS) + "\n"
    export.write_text(text, encoding="utf-8")
    printed = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(export)], capture_output=True, check=True
    ).stdout.decode()
    expected = cli(["validate", "--json"], text) + cli(
        ["validate", "--json", "--summary", "--quiet"], text
    )
    assert printed == expected
