"""Reading the server's JSON (qmpsh.wire.jsonread)."""

from __future__ import annotations

import json
import sys

import pytest
from qemu.qmp.message import DeserializationError, UnexpectedTypeError

from qmpsh.core.render import render_json
from qmpsh.wire.failures import Evidence, lost
from qmpsh.wire.jsonread import INT_DIGITS, Reader, allow_long_integers


@pytest.fixture(autouse=True)
def _digits() -> object:
    before = sys.get_int_max_str_digits()
    allow_long_integers()
    yield
    sys.set_int_max_str_digits(before)


def test_a_plain_message_reads_as_json_does() -> None:
    data = b'{"return": {"a": [1, 2.5, true, null, "\\u001b"]}, "id": "x"}\n'
    reader = Reader()
    assert reader.read(data) == json.loads(data)
    assert reader.odd == [] and reader.warning() is None


@pytest.mark.parametrize(
    ("text", "odd"),
    [
        ("NaN", ["NaN"]),
        ("Infinity", ["Infinity"]),
        ("-Infinity", ["-Infinity"]),
        ("1e400", ["1e400"]),
        ("-1e400", ["-1e400"]),
        ("1" + "0" * 400 + ".0", ["1" + "0" * 400 + ".0"]),
    ],
)
def test_numbers_json_has_no_form_for_read_as_null(text: str, odd: list[str]) -> None:
    reader = Reader()
    assert reader.read(f'{{"return": [{text}, 1.5]}}'.encode()) == {
        "return": [None, 1.5]
    }
    assert reader.odd == odd
    assert f"the server sent {odd[0]}: JSON has no such number" in str(reader.warning())
    reader.read(b'{"return": 1}')
    assert reader.odd == []  # only the last line's


def test_the_warning_names_each_number_once() -> None:
    reader = Reader()
    reader.read(b'{"a": [NaN, NaN, 1e999]}')
    assert str(reader.warning()).startswith("the server sent NaN, 1e999: ")


def test_long_integers_are_exact_both_ways() -> None:
    digits = "9" * INT_DIGITS
    value = Reader().read(f'{{"return": -{digits}}}'.encode())["return"]
    assert render_json(value) == f"-{digits}"


def test_a_longer_integer_is_one_clear_line() -> None:
    with pytest.raises(ValueError) as caught:
        Reader().read(f'{{"return": {"1" * (INT_DIGITS + 1)}}}'.encode())
    ev = Evidence("SOCK", None, None, 1024)
    assert lost(caught.value, ev) == (
        f"the server sent an integer of more than {INT_DIGITS} digits, "
        "more than qmpsh reads"
    )


def test_not_json_and_not_an_object_raise_what_message_would() -> None:
    with pytest.raises(DeserializationError):
        Reader().read(b"garbage{\n")
    with pytest.raises(UnexpectedTypeError):
        Reader().read(b"[1, 2]\n")
    with pytest.raises(UnicodeDecodeError):
        Reader().read(b'{"a": "\xff"}\n')


def test_the_limit_is_only_ever_raised() -> None:
    sys.set_int_max_str_digits(0)  # no limit: kept
    allow_long_integers()
    assert sys.get_int_max_str_digits() == 0
    sys.set_int_max_str_digits(INT_DIGITS * 2)
    allow_long_integers()
    assert sys.get_int_max_str_digits() == INT_DIGITS * 2
