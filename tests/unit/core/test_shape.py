"""The renderers of -o (qmpsh.core.shape): rows of value and text."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from qmpsh.core.shape import (
    ELLIPSIS,
    cut,
    fit,
    shape_reply,
    shaped,
    table,
    text_width,
    to_csv,
    to_yaml,
    yaml_string,
)
from tests import corpus

BLOCKS = [
    {"device": "d0", "locked": False, "inserted": {"ro": False}},
    {"device": "cd1", "removable": True},
]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (
            BLOCKS,
            "device  locked  inserted      removable\n"
            'd0      false   {"ro":false}\n'
            "cd1                           true",
        ),
        ({"status": "running", "running": True}, "status   running\nrunning  true"),
        (
            [{"size": 5, "name": "a"}, {"size": 1234, "name": "bb"}],
            "size  name\n   5  a\n1234  bb",
        ),
        ("text", "text"),
        (12, "12"),
        (None, "null"),
        ([1, "two", [3]], "1\ntwo\n[3]"),
        ([], ""),
        ({}, ""),
        ([{}], ""),
        ({"k": "a\nb\x1b[2J"}, "k  a\\x0ab\\x1b[2J"),
        ({"wide": "日本"}, "wide  日本"),
    ],
)
def test_table(value: Any, text: str) -> None:
    assert table(value) == text


def test_table_fits_a_width_with_an_ellipsis() -> None:
    rows = [{"name": "n" * 30, "type": "t" * 50, "x": 1}]
    text = table(rows, width=40)
    lines = text.split("\n")
    assert all(text_width(line) <= 40 for line in lines)
    assert lines[1].startswith("n" * 15)  # the narrow column stays whole...
    assert ELLIPSIS in lines[1]  # ...the wide one is cut
    assert table(rows) == table(rows, width=None)  # no width: nothing is cut
    assert ELLIPSIS not in table(rows)


def test_fit_and_cut() -> None:
    assert fit([3, 10, 20], 40) == [3, 10, 20]
    assert fit([3, 10, 20], 20) == [3, 8, 8]
    assert fit([30, 30], 2) == [4, 4]  # never narrower than 4
    assert cut("abcdef", 4) == "abc" + ELLIPSIS
    assert cut("abc", 4) == "abc"
    assert cut("日本語", 4) == "日" + ELLIPSIS
    assert text_width(cut("日本語", 4)) <= 4


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("running", "running"),
        ("/dev/sda", "/dev/sda"),
        ("child<container>", '"child<container>"'),
        ("off", '"off"'),
        ("Yes", '"Yes"'),
        ("null", '"null"'),
        ("1.5", '"1.5"'),
        ("0x10", '"0x10"'),
        ("", '""'),
        ("a: b", '"a: b"'),
        ("a #b", '"a #b"'),
        ("-x", '"-x"'),
        ("two words", "two words"),
        ("trailing ", '"trailing "'),
        ("#block1", '"#block1"'),
        ("line\nbreak", '"line\\nbreak"'),
        ("esc\x1b", '"esc\\u001b"'),
        ("c1\x9b", '"c1\\u009b"'),
        (".inf", '".inf"'),
        ("*alias", '"*alias"'),
        ("[x]", '"[x]"'),
    ],
)
def test_yaml_strings(text: str, shown: str) -> None:
    assert yaml_string(text) == shown


def test_yaml_document() -> None:
    value = {
        "a": 1,
        "b": [1, {"c": None, "d": [True, []]}, [2, 3]],
        "e": {},
        "f": {"g": "x"},
        "h": 1.5,
    }
    assert to_yaml(value) == (
        "a: 1\n"
        "b:\n"
        "- 1\n"
        "- c: null\n"
        "  d:\n"
        "  - true\n"
        "  - []\n"
        "- - 2\n"
        "  - 3\n"
        "e: {}\n"
        "f:\n"
        "  g: x\n"
        "h: 1.5"
    )
    assert to_yaml([]) == "[]"
    assert to_yaml("off") == '"off"'
    assert to_yaml(None) == "null"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (
            BLOCKS,
            'device,locked,inserted,removable\nd0,false,"{""ro"":false}",\ncd1,,,true',
        ),
        ({"a": 1, "b": "x,y"}, 'a,b\n1,"x,y"'),
        (["a", 2], "a\n2"),
        ("one", "one"),
        ([], ""),
        ({"s": "two\nlines"}, 's\n"two\nlines"'),
    ],
)
def test_csv(value: Any, text: str) -> None:
    assert to_csv(value) == text


def test_csv_reads_back() -> None:
    rows = list(csv.reader(io.StringIO(to_csv(BLOCKS))))
    assert rows[0] == ["device", "locked", "inserted", "removable"]
    assert json.loads(rows[1][2]) == {"ro": False}


def test_json_formats_are_todays() -> None:
    assert shaped({"a": [1]}, "json") == '{"a": [1]}'
    assert shaped({"a": [1]}, "pretty") == '{\n  "a": [\n    1\n  ]\n}'


def test_replies() -> None:
    reply = {"return": [{"device": "d0"}]}
    assert shape_reply(reply, "json") == '{"return": [{"device": "d0"}]}'
    assert shape_reply(reply, "json", return_value=True) == '[{"device": "d0"}]'
    assert shape_reply(reply, "table") == "device\nd0"
    assert shape_reply(reply, "yaml") == "- device: d0"
    assert shape_reply({"return": {}}, "table") == ""


def test_every_documented_reply_renders() -> None:
    """QEMU's documented replies, in every format: no exception, and each
    table row within the width asked for."""
    for reply in corpus.replies():
        value = reply.get("return", reply)
        for fmt in ("table", "yaml", "csv"):
            assert isinstance(shaped(value, fmt), str)
        for line in table(value, width=60).split("\n"):
            assert text_width(line) <= 60, (value, line)


def test_json_and_value_formats_are_all_the_formats() -> None:
    from qmpsh.batch.shaping import JSON_FORMATS
    from qmpsh.core.shape import FORMATS, VALUE_FORMATS

    assert set(JSON_FORMATS) | VALUE_FORMATS == set(FORMATS)
    assert not set(JSON_FORMATS) & VALUE_FORMATS
