"""The package's own promises: types, errors, and the summary of text and of a list."""

from __future__ import annotations

import pytest

import chittyid

ID = "03-1-USA-0001-P-2602-0-85"


def test_validate_names_the_fault():
    report = chittyid.validate("03-1-USA-O001-P-2602-0-85")
    assert report["valid"] is False
    assert report["error"]["code"] == "invalid_character"
    assert report["error"]["segment"] == "sequence"
    assert report["suggestion"] == ID


def test_is_valid_answers_false_for_anything_but_a_str():
    assert chittyid.is_valid(ID)
    for value in (None, 12345, b"03-1-USA-0001-P-2602-0-85", [ID], {}):
        assert chittyid.is_valid(value) is False


def test_a_str_that_is_not_text_is_not_valid_and_the_others_say_why():
    # What reading bytes with errors="surrogateescape" leaves of a byte that is not UTF-8.
    broken = "03-1-USA-0001-P-2602-0-8\udcff"
    assert chittyid.is_valid(broken) is False
    with pytest.raises(UnicodeEncodeError):
        chittyid.validate(broken)


def test_the_package_is_typed_and_built_for_the_stable_abi():
    from pathlib import Path

    package = Path(chittyid.__file__).parent
    assert (package / "py.typed").exists() and (package / "_native.pyi").exists()
    assert chittyid._native.__file__.endswith(".abi3.so"), chittyid._native.__file__


def test_the_other_functions_refuse_anything_but_a_str():
    for function in (chittyid.validate, chittyid.parse, chittyid.inspect, chittyid.suggest):
        with pytest.raises(TypeError, match="expects a str"):
            function(None)


def test_parse_gives_raw_components_and_raises_with_the_code():
    assert chittyid.parse(ID)["entityType"] == "P"
    with pytest.raises(chittyid.ChittyIdError) as raised:
        chittyid.parse("03-1-USA-0001-P-2602-0-84")
    assert raised.value.code == "checksum_mismatch"
    assert raised.value.position == 24
    assert isinstance(raised.value, ValueError)


def test_legacy_forms_pass_only_when_asked():
    assert not chittyid.is_valid("01-C-PEO-0042-P-2510-3-23")
    assert chittyid.is_valid("01-C-PEO-0042-P-2510-3-23", legacy=True)
    assert chittyid.inspect("01-C-PEO-0042-P-2510-3-23", legacy=True)["components"]["entityPrefix"] == "PEO"


def test_a_summary_of_text_counts_lines_and_of_a_list_counts_elements():
    assert chittyid.summary(f"{ID}\nhello\n")["inputs"] == 2
    assert chittyid.summary([f"{ID}\nhello"])["inputs"] == 1
    assert chittyid.summary(iter([ID, ID]))["valid"] == 2
    with pytest.raises(TypeError):
        chittyid.summary([ID, 7])


def test_checksum_is_the_two_digits_of_the_rule():
    assert chittyid.checksum("03-1-USA-0001-P-2602-0") == "85"
    assert chittyid.checksum("03-1-usa") is None
