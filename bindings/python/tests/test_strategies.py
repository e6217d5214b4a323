"""The Hypothesis strategies give what they promise, checked against the Rust core."""

from __future__ import annotations

from hypothesis import given, settings

import chittyid
from chittyid import strategies


@settings(max_examples=500)
@given(strategies.canonical_ids())
def test_canonical_ids_are_valid_and_parse_back(chitty_id):
    assert chittyid.is_valid(chitty_id)
    assert chittyid.parse(chitty_id)["chittyId"] == chitty_id


@settings(max_examples=2000)
@given(strategies.near_misses())
def test_one_typo_is_never_valid_and_the_report_says_why(pair):
    original, missed = pair
    assert original != missed
    report = chittyid.validate(missed)
    assert report["valid"] is False
    assert report["error"]["code"]


@given(strategies.authority_2025_ids())
def test_2025_ids_are_valid_only_as_legacy(chitty_id):
    assert not chittyid.is_valid(chitty_id)
    report = chittyid.validate(chitty_id, legacy=True)
    assert report["valid"] and report["format"] == "authority_2025"


@given(strategies.status_placeholders())
def test_placeholders_are_named_and_never_ids(text):
    report = chittyid.validate(text, legacy=True)
    assert (report["valid"], report["format"]) == (False, "status_placeholder")
    assert report["placeholder"]["status"] == int(text.split("-")[3][:3])


@given(strategies.reserved_patterns())
def test_reserved_patterns_are_named_and_never_ids(text):
    report = chittyid.validate(text, legacy=True)
    assert (report["valid"], report["format"], report["error"]["code"]) == (
        False,
        "reserved_pattern",
        "reserved_pattern",
    )
