"""The package answers exactly as the command line does: every report byte for byte (once
serialised as the command line serialises), the summary, and every inspection."""

from __future__ import annotations

import json

import pytest

import chittyid
from conftest import INPUTS


def compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


TEXT = "\n".join(INPUTS) + "\n"


@pytest.mark.parametrize("legacy", [False, True])
def test_every_report_is_the_command_lines(cli, legacy):
    flags = ["--legacy"] if legacy else []
    lines = cli(["validate", "--json", *flags], TEXT).split("\n")[:-1]
    assert len(lines) == len(INPUTS)
    from_text = chittyid.validate_lines(TEXT, legacy=legacy)
    for i, (input, line) in enumerate(zip(INPUTS, lines)):
        assert compact(from_text[i]) == line, f"line {i + 1}: {input!r}"
        # A single input is the whole input; a line is cut at 129 bytes, as the command line reads it.
        if len(input.encode()) <= 129:
            assert compact(chittyid.validate(input, legacy=legacy)) == line, repr(input)


@pytest.mark.parametrize("legacy", [False, True])
def test_an_arguments_report_is_the_command_lines(cli, legacy):
    flags = ["--legacy"] if legacy else []
    for input in INPUTS:
        if input == "" or input.startswith("-"):
            continue
        line = cli(["validate", "--json", *flags, input]).rstrip("\n")
        assert compact(chittyid.validate(input, legacy=legacy)) == line, repr(input)


@pytest.mark.parametrize("legacy", [False, True])
def test_the_summary_is_the_command_lines(cli, legacy):
    flags = ["--legacy"] if legacy else []
    printed = cli(["validate", "--json", "--summary", "--quiet", *flags], TEXT).rstrip("\n")
    assert compact({"summary": chittyid.summary(TEXT, legacy=legacy)}) == printed
    assert compact({"summary": chittyid.summary(TEXT.replace("\n", "\r\n"), legacy=legacy)}) == printed


@pytest.mark.parametrize("legacy", [False, True])
def test_inspect_gives_what_chittyid_inspect_prints(cli, legacy):
    flags = ["--legacy"] if legacy else []
    valid = [i for i in INPUTS if chittyid.is_valid(i, legacy=legacy)]
    assert valid
    for input in valid:
        assert chittyid.inspect(input, legacy=legacy) == json.loads(cli(["inspect", *flags, input]))
