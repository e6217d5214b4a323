"""Hypothesis strategies for property tests against the ChittyID format.

They mirror the Rust crate's proptest strategies (``chittyid_domain::strategies``)::

    from hypothesis import given
    from chittyid import is_valid
    from chittyid.strategies import canonical_ids, one_typo_ids

    @given(canonical_ids())
    def test_my_parser_accepts_every_id(chitty_id):
        assert my_parser(chitty_id) is not None

    @given(one_typo_ids())
    def test_my_form_refuses_typos(text):
        assert not is_valid(text)
"""

from __future__ import annotations

import string
from typing import Tuple

from hypothesis import strategies as st

from . import checksum

__all__ = [
    "authority_2025_ids",
    "canonical_ids",
    "near_misses",
    "one_typo_ids",
    "reserved_patterns",
    "status_placeholders",
]

_UPPER = string.ascii_uppercase
_DIGITS = string.digits
# The entity prefixes the 2025 authority wrote: the first three letters of each v2.2.0 name.
_PREFIXES_2025 = ("PEO", "PLA", "PRO", "EVN", "AUT", "INF", "FAC", "CON", "ACT")


def _with_checksum(body: str) -> str:
    digits = checksum(body)
    assert digits is not None, f"built of digits, capitals and hyphens: {body}"
    return f"{body}-{digits}"


@st.composite
def canonical_ids(draw: st.DrawFn) -> str:
    """Any canonical ChittyID: version 01-05, region 1-9, any three capitals, any sequence, type
    P L T E or A, a month of 2000-2099, trust level 0-5, and its checksum."""
    version = draw(st.integers(1, 5))
    region = draw(st.integers(1, 9))
    jurisdiction = draw(st.text(_UPPER, min_size=3, max_size=3))
    sequence = draw(st.integers(0, 9999))
    entity = draw(st.sampled_from("PLTEA"))
    year = draw(st.integers(2000, 2099))
    month = draw(st.integers(1, 12))
    trust = draw(st.integers(0, 5))
    body = f"{version:02}-{region}-{jurisdiction}-{sequence:04}-{entity}-{year % 100:02}{month:02}-{trust}"
    return _with_checksum(body)


_typo_characters = st.one_of(
    st.sampled_from(_DIGITS),
    st.sampled_from(_UPPER),
    st.just("-"),
    st.characters(),
)


@st.composite
def _typo(draw: st.DrawFn, chitty_id: str) -> str:
    """One edit, as the Rust strategy makes them: substitute, swap two adjacent non-hyphen
    characters, delete, insert, lower-case a letter, or pad with white space."""
    chars = list(chitty_id)
    kind = draw(st.sampled_from(["substitute"] * 4 + ["transpose"] * 3
                                + ["delete", "insert", "lower", "pad"]))
    if kind == "substitute":
        chars[draw(st.integers(0, len(chars) - 1))] = draw(_typo_characters)
    elif kind == "transpose":
        data = [i for i, c in enumerate(chars) if c != "-"]
        at = draw(st.integers(0, len(data) - 2))
        a, b = data[at], data[at + 1]
        chars[a], chars[b] = chars[b], chars[a]
    elif kind == "delete":
        del chars[draw(st.integers(0, len(chars) - 1))]
    elif kind == "insert":
        chars.insert(draw(st.integers(0, len(chars))), draw(_typo_characters))
    elif kind == "lower":
        letters = [i for i, c in enumerate(chars) if c.isascii() and c.isupper()]
        at = draw(st.sampled_from(letters))
        chars[at] = chars[at].lower()
    else:
        return f" {chitty_id} "
    return "".join(chars)


def near_misses() -> st.SearchStrategy[Tuple[str, str]]:
    """A canonical ID and the same ID with one typo that changed it."""
    return canonical_ids().flatmap(
        lambda chitty_id: _typo(chitty_id).map(lambda missed: (chitty_id, missed))
    ).filter(lambda pair: pair[0] != pair[1])


def one_typo_ids() -> st.SearchStrategy[str]:
    """A string one typo away from a canonical ID. Never itself a valid ID: the checksum catches
    every such typo that keeps the grammar valid (proved exhaustively in the Rust crate)."""
    return near_misses().map(lambda pair: pair[1])


@st.composite
def authority_2025_ids(draw: st.DrawFn) -> str:
    """Any ID of the authority's 2025 form whose checksum holds: VV ``01``, a region letter, an
    entity prefix, its first letter as T. Valid only with ``legacy=True``."""
    region = draw(st.sampled_from(_UPPER))
    prefix = draw(st.sampled_from(_PREFIXES_2025))
    sequence = draw(st.integers(0, 9999))
    year = draw(st.integers(0, 99))
    month = draw(st.integers(1, 12))
    digit = draw(st.integers(0, 9))
    body = f"01-{region}-{prefix}-{sequence:04}-{prefix[0]}-{year:02}{month:02}-{digit}"
    return _with_checksum(body)


@st.composite
def status_placeholders(draw: st.DrawFn) -> str:
    """Any status placeholder a client hands out in place of an ID:
    ``00-{1-4}-{code}-{status}{variant}-{letter}-0000-{digit}-{digit}``. Never an ID."""
    kind = draw(st.integers(1, 4))
    code = draw(st.text(_UPPER, min_size=3, max_size=3))
    status = draw(st.integers(100, 599))
    variant = draw(st.integers(0, 9))
    letter = draw(st.sampled_from(_UPPER))
    digit = draw(st.integers(0, 9))
    last = draw(st.text(_DIGITS, min_size=1, max_size=2))
    return f"00-{kind}-{code}-{status}{variant}-{letter}-0000-{digit}-{last}"


@st.composite
def reserved_patterns(draw: st.DrawFn) -> str:
    """Any reserved command or test pattern: ``00-0-SYS-…``, ``00-0-ADM-…``, ``99-9-TST-…`` and
    five segments of capitals and digits. Never an ID."""
    prefix = draw(st.sampled_from(["00-0-SYS", "00-0-ADM", "99-9-TST"]))
    rest = draw(st.lists(st.text(_UPPER + _DIGITS, min_size=1, max_size=4), min_size=5, max_size=5))
    return f"{prefix}-{'-'.join(rest)}"
