"""Where is the cursor: the pure first stage of completion."""

from __future__ import annotations

import pytest

from qmpsh.lang.cursor import (
    ActionName,
    ArgKey,
    ArgValue,
    BuiltinArg,
    CommandName,
    Nowhere,
    Where,
    locate,
)
from qmpsh.lang.unparse import to_shorthand
from tests import corpus

BUILTINS = ("help", "events", "alias")

ROWS: list[tuple[str, Where]] = [
    ("", CommandName("")),
    ("   ", CommandName("")),
    ("query-st", CommandName("query-st")),
    ("!query-st", CommandName("query-st")),
    ("query-status ", ArgKey("query-status", (), "")),
    ("device_del i", ArgKey("device_del", (), "i")),
    ("device_del id=", ArgValue("device_del", ("id",), "")),
    ("device_del id=ne", ArgValue("device_del", ("id",), "ne")),
    ('device_del id="a b', ArgValue("device_del", ("id",), "a b", quote='"')),
    ("device_del id='n", ArgValue("device_del", ("id",), "n", quote="'")),
    ('device_del id="x" ', ArgKey("device_del", (), "", {"id": "x"})),
    ('device_del id="x"', Nowhere()),
    (
        "blockdev-add driver=qcow2 file.",
        ArgKey("blockdev-add", ("file",), "", {"driver": "qcow2"}),
    ),
    (
        "blockdev-add driver=qcow2 file.driver=file file.fi",
        ArgKey(
            "blockdev-add",
            ("file",),
            "fi",
            {"driver": "qcow2", "file": {"driver": "file"}},
        ),
    ),
    (
        "blockdev-add driver=qcow2 file.driver=f",
        ArgValue("blockdev-add", ("file", "driver"), "f", {"driver": "qcow2"}),
    ),
    # values typed so far come along: quoted, bare and bracketed
    (
        "x a='q r' b=[1, 2] c={'k': 1} d=e ",
        ArgKey("x", (), "", {"a": "q r", "b": [1, 2], "c": {"k": 1}, "d": "e"}),
    ),
    ("x a=[1, ", Nowhere()),
    ("x a={", Nowhere()),
    ("x a=b # a comment", Nowhere()),
    ('{"execute": "qu', Nowhere()),
    ("x a..b=", Nowhere()),
    ("help", CommandName("help")),
    ("help ", BuiltinArg("help", "")),
    ("help query-s", BuiltinArg("help", "query-s")),
    ("events --cl", BuiltinArg("events", "--cl")),
    ("transaction(", CommandName("transaction(")),
    ("transaction(\n", ActionName("", 0)),
    ("transaction( ab", ActionName("ab", 0)),
    ("transaction(\n  abort\n  blo", ActionName("blo", 1)),
    (
        "transaction(\n  block-dirty-bitmap-add node=n n",
        ArgKey(
            "transaction",
            ("actions", 0, "data"),
            "n",
            {"actions": [{"type": "block-dirty-bitmap-add", "data": {"node": "n"}}]},
            "block-dirty-bitmap-add",
        ),
    ),
    (
        "transaction(\n  abort\n  block-dirty-bitmap-add node=",
        ArgValue(
            "transaction",
            ("actions", 1, "data", "node"),
            "",
            {
                "actions": [
                    {"type": "abort", "data": {}},
                    {"type": "block-dirty-bitmap-add", "data": {}},
                ]
            },
            "block-dirty-bitmap-add",
        ),
    ),
    ("transaction(\n  abort\n)", ActionName(")", 1)),
    (
        "transaction(\n  abort\n) completion-mode=g",
        ArgValue(
            "transaction",
            ("properties", "completion-mode"),
            "g",
            {"actions": [{"type": "abort", "data": {}}], "properties": {}},
        ),
    ),
    ("transaction(\n  abort\n)\nx", Nowhere()),
    ("query-status\nx", Nowhere()),
    # what surrounds the command, as `qmpsh.lang.anatomy` finds it
    ("  !  query-st", CommandName("query-st")),
    ("h = ", CommandName("")),
    ("h = query-st", CommandName("query-st")),
    ("!h = device_del i", ArgKey("device_del", (), "i")),
    ("alias m = drive-mi", CommandName("drive-mi")),
    ("alias m", BuiltinArg("alias", "m", ())),
    ("h = transaction(\n  ab", ActionName("ab")),
    ("query-block | gr", Nowhere()),
    ("query-block > ", Nowhere()),
    ("query-block |", Nowhere()),
]


@pytest.mark.parametrize(("text", "expected"), ROWS)
def test_locate(text: str, expected: Where) -> None:
    assert locate(text, BUILTINS) == expected


def test_given_keys() -> None:
    where = locate("blockdev-add driver=qcow2 file.driver=file node-name=n ", BUILTINS)
    assert isinstance(where, ArgKey)
    assert where.given() == {"driver", "node-name"}  # file is an object, not done
    inner = locate("blockdev-add driver=qcow2 file.driver=file file.", BUILTINS)
    assert isinstance(inner, ArgKey) and inner.given() == {"driver"}


def test_every_prefix_of_every_example_is_located() -> None:
    for request in corpus.requests():
        text = to_shorthand(request)
        for end in range(len(text) + 1):
            locate(text[:end], BUILTINS)  # must not raise
