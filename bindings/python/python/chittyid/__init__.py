"""The ChittyID format, from the reference implementation (the chittyid-domain Rust crate).

Every answer is the one the ``chittyid`` command line gives: ``validate`` returns the report
``chittyid validate --json`` prints (``json.dumps(report, separators=(",", ":"),
ensure_ascii=False)`` is that line, byte for byte), ``summary`` the counts of ``--summary``,
``inspect`` what ``chittyid inspect`` prints.
"""

from __future__ import annotations

import gc
import json
from typing import Iterable, List, Optional, Union

from . import _native
from ._types import Inspection, ParsedId, Report, Summary

__all__ = [
    "ChittyIdError",
    "Inspection",
    "ParsedId",
    "Report",
    "Summary",
    "checksum",
    "inspect",
    "is_valid",
    "parse",
    "suggest",
    "summary",
    "validate",
    "validate_lines",
]


class ChittyIdError(ValueError):
    """Raised by ``parse`` and ``inspect`` for an input that is not a valid ID."""

    def __init__(self, report: Report) -> None:
        error = report["error"] or {}
        super().__init__(error.get("message", "not a valid ChittyID"))
        self.code: str = error.get("code", "")
        self.segment: Optional[str] = error.get("segment")
        self.position: Optional[int] = error.get("position")
        self.format: str = report["format"]
        self.suggestion: Optional[str] = report["suggestion"]
        self.input: str = report["input"]


def _expect_str(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"chittyid: {what} expects a str, got {type(value).__name__}")
    return value


def validate(input: str, *, legacy: bool = False) -> Report:
    """The report ``chittyid validate --json`` prints for one input."""
    return json.loads(_native.validate_json(_expect_str(input, "validate"), legacy))


def validate_lines(text: str, *, legacy: bool = False) -> List[Report]:
    """One report per line of an export, as ``chittyid validate --json`` reads standard input."""
    reports = _native.validate_lines_json(_expect_str(text, "validate_lines"), legacy)
    # A million reports are tens of millions of new objects, none in a cycle: the collections
    # their allocation sets off find nothing (BENCHMARKS.md: a million lines, 21.1 s to 16.4 s).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return json.loads(reports)
    finally:
        if collecting:
            gc.enable()


def is_valid(input: object, *, legacy: bool = False) -> bool:
    """Whether ``input`` is a valid ID; False for anything that is not a str, and for a str that
    is not text (lone surrogates, as ``errors="surrogateescape"`` leaves them)."""
    if not isinstance(input, str):
        return False
    try:
        return _native.is_valid(input, legacy)
    except UnicodeEncodeError:
        return False


def suggest(input: str, *, legacy: bool = False) -> Optional[str]:
    """The valid ID one typo away from ``input``, or None."""
    return _native.suggestion(_expect_str(input, "suggest"), legacy)


def inspect(input: str, *, legacy: bool = False) -> Inspection:
    """What ``chittyid inspect`` prints for a valid ID; raises ChittyIdError otherwise."""
    inspection = _native.inspect_json(_expect_str(input, "inspect"), legacy)
    if inspection is None:
        raise ChittyIdError(json.loads(_native.validate_json(input, legacy)))
    return json.loads(inspection)


def parse(input: str) -> ParsedId:
    """The raw components of a canonical ID; raises ChittyIdError otherwise."""
    parsed = _native.parse_json(_expect_str(input, "parse"))
    if parsed is None:
        raise ChittyIdError(json.loads(_native.validate_json(input, False)))
    return json.loads(parsed)


def summary(lines: Union[str, Iterable[str]], *, legacy: bool = False) -> Summary:
    """Counts over an export as text (one input per line) or an iterable of inputs, as
    ``chittyid validate --summary --json`` prints them inside ``{"summary": ...}``."""
    if isinstance(lines, str):
        return json.loads(_native.summary_of_text_json(lines, legacy))
    inputs = [_expect_str(line, "summary") for line in lines]
    return json.loads(_native.summary_of_list_json(inputs, legacy))


def checksum(body: str) -> Optional[str]:
    """The two check digits of the first seven segments (``03-1-USA-0001-P-2602-0``), or None."""
    return _native.checksum(_expect_str(body, "checksum"))
