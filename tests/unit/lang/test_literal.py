"""Values inside {} and []: JSON and Python spelling, iterative, bounded."""

from __future__ import annotations

import pytest

from qmpsh.core.deepjson import MAX_DEPTH
from qmpsh.lang.literal import (
    LiteralError,
    parse_literal,
    parse_number,
    quote_bare_words,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (
            '{"a": [1, 2.5, -3, true, false, null]}',
            {"a": [1, 2.5, -3, True, False, None]},
        ),
        (
            "{'a': 'b', 'c': None, 'd': True, 'e': False}",
            {"a": "b", "c": None, "d": True, "e": False},
        ),
        ("[1, 2, ]", [1, 2]),
        ("{'a': 1,}", {"a": 1}),
        ("[]", []),
        ("{}", {}),
        ('"\\ud83d\\ude00"', "😀"),
        ("'it\\'s'", "it's"),
        (" [ { } , [ ] ] ", [{}, []]),
    ],
)
def test_values(text: str, value: object) -> None:
    assert parse_literal(text) == value


@pytest.mark.parametrize(
    ("text", "offset", "phrase"),
    [
        ("{a: 1}", 1, "quoted key"),
        ("[1 2]", 3, "expected ','"),
        ("[NaN]", 1, "not a value"),
        ("[Infinity]", 1, "not a value"),
        ("{'a': 1, 'a': 2}", 0, "twice"),
        ("[1]x", 3, "after the value"),
        ("[", 1, "end of value"),
        ("['x]", 4, "unterminated"),
        ("['\\z']", 2, "unknown escape"),
        ('"\\u12"', 1, "four hex digits"),
        # json.loads reads these as infinity, which JSON cannot carry
        ("[1e400]", 1, "'1e400' is out of range for a number"),
        ('{"a": [2, -1E400]}', 10, "'-1E400' is out of range"),
        ("{'a': 1e400}", 6, "out of range"),
        ("[" + "9" * 5000 + "]", 1, "out of range"),
    ],
)
def test_errors(text: str, offset: int, phrase: str) -> None:
    with pytest.raises(LiteralError) as info:
        parse_literal(text)
    assert info.value.offset == offset
    assert phrase in info.value.message


@pytest.mark.parametrize("text", ["[1e-400]", "[1.7976931348623157e308]", "[-0.0]"])
def test_extreme_finite_numbers_are_values(text: str) -> None:
    (value,) = parse_literal(text)
    assert value == float(text[1:-1])


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(LiteralError) as info:
        parse_literal(deep)
    assert str(MAX_DEPTH) in info.value.message


def test_nesting_up_to_the_limit_works() -> None:
    text = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    value = parse_literal(text)
    for _ in range(MAX_DEPTH - 1):
        value = value[0]
    assert value == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", 0),
        ("-0", 0),
        ("12", 12),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("007", None),
        ("1.", None),
        ("+1", None),
        ("1" * 5000, None),
        ("1e999", None),
    ],
)
def test_numbers(text: str, value: object) -> None:
    assert parse_number(text) == value


def test_long_integers_are_refused_whatever_the_process_allows() -> None:
    """qmpsh raises Python's limit to read long integers in replies; what is
    typed keeps Python's default bound."""
    import sys

    before = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        assert parse_literal("[" + "9" * 4300 + "]") == [int("9" * 4300)]
        for text in ("[" + "9" * 4301 + "]", "{'a': -" + "9" * 4301 + "}"):
            with pytest.raises(LiteralError) as info:
                parse_literal(text)
            assert "out of range" in info.value.message
    finally:
        sys.set_int_max_str_digits(before)


@pytest.mark.parametrize(
    ("text", "fixed"),
    [
        ("[disk0]", '["disk0"]'),
        ("[disk0, disk1]", '["disk0", "disk1"]'),
        ("[1, x, true, null, 'y', \"z\"]", '[1, "x", true, null, \'y\', "z"]'),
        ("{id: drive0, 'ro': on}", '{"id": "drive0", \'ro\': "on"}'),
        ("[a\\b]", '["a\\\\b"]'),
        ("[é]", '["é"]'),
        # nothing to quote, or quoting does not make it parse: no hint
        ("[1 2]", None),
        ("[a b]", None),
        ("[NaN]", None),
        ("[1e400]", None),
        ("['open]", None),
        ("[1, 2]", None),
    ],
)
def test_quote_bare_words(text: str, fixed: str | None) -> None:
    assert quote_bare_words(text) == fixed
    if fixed is not None:
        parse_literal(fixed)
