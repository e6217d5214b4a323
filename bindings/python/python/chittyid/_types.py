"""The shapes of the reports, as the chittyid command line prints them."""

from __future__ import annotations

from typing import Dict, List, Optional, Union

try:
    from typing import TypedDict
except ImportError:  # pragma: no cover - Python < 3.8 is not supported anyway
    from typing_extensions import TypedDict


class ReportError(TypedDict):
    code: str
    segment: Optional[str]
    position: Optional[int]
    message: str


class NamedDigit(TypedDict):
    value: int
    name: str


class Components(TypedDict, total=False):
    version: Dict[str, Union[int, str]]
    region: NamedDigit
    jurisdiction: str
    sequence: int
    entityType: Dict[str, str]
    yearMonth: Dict[str, Union[int, List[int]]]
    trustLevel: NamedDigit
    checksum: int


class _ReportRequired(TypedDict):
    input: str
    valid: bool
    format: str
    error: Optional[ReportError]
    suggestion: Optional[str]
    components: Optional[Components]


class Report(_ReportRequired, total=False):
    """The report ``chittyid validate --json`` prints; ``placeholder`` only for placeholders."""

    placeholder: Dict[str, Union[int, str]]


class Inspection(TypedDict, total=False):
    chittyId: str
    format: str
    did: str
    components: Dict[str, object]


class ParsedId(TypedDict):
    chittyId: str
    version: int
    region: int
    jurisdiction: str
    sequence: int
    entityType: str
    year: int
    month: int
    trustLevel: int
    checksum: int


class Summary(TypedDict):
    errors: Dict[str, int]
    formats: Dict[str, int]
    inputs: int
    invalid: int
    valid: int
