"""Rendering requests back to shorthand: parse(to_shorthand(m)) == m."""

from __future__ import annotations

import json
from typing import Any

import pytest

from qmpsh.lang.parser import Request, parse
from qmpsh.lang.unparse import render_value, to_shorthand
from tests import corpus


def roundtrip(message: dict[str, Any]) -> str:
    text = to_shorthand(message)
    result = parse(text)
    assert isinstance(result, Request), text
    assert json.dumps(result.message, sort_keys=True) == json.dumps(
        message, sort_keys=True
    ), text
    return text


def test_corpus_round_trip() -> None:
    """Every documented request survives the trip, in shorthand where possible."""
    requests = corpus.requests()
    assert len(requests) >= 250
    as_json = [r for r in requests if to_shorthand(r).startswith("{")]
    for request in requests:
        roundtrip(request)
    # only the malformed example ("Execute" for "execute") needs raw JSON
    assert as_json == [r for r in requests if "execute" not in r]
    assert len(as_json) == 1


@pytest.mark.parametrize(
    ("message", "text"),
    [
        ({"execute": "query-status"}, "query-status"),
        ({"execute": "x", "arguments": {"a": {"b": 1}}}, "x a.b=1"),
        ({"execute": "x", "arguments": {"s": "a b"}}, 'x s="a b"'),
        ({"execute": "x", "arguments": {"s": "007"}}, 'x s="007"'),
        ({"execute": "x", "arguments": {"s": "true"}}, 'x s="true"'),
        ({"execute": "x", "arguments": {"s": ""}}, 'x s=""'),
        ({"execute": "x", "arguments": {"s": "-x"}}, "x s=-x"),
        ({"execute": "x", "arguments": {"o": {}}}, "x o={}"),
        ({"execute": "x", "arguments": {"l": [1, "a"]}}, 'x l=[1, "a"]'),
        ({"execute": "x", "id": "a"}, '{"execute": "x", "id": "a"}'),
        ({"execute": "x", "arguments": {}}, '{"execute": "x", "arguments": {}}'),
        (
            {"execute": "x", "arguments": {"a.b": 1}},
            '{"execute": "x", "arguments": {"a.b": 1}}',
        ),
        (
            {
                "execute": "transaction",
                "arguments": {"actions": [{"type": "t", "data": {"a": 1}}]},
            },
            "transaction(\n  t a=1\n)",
        ),
        (
            {
                "execute": "transaction",
                "arguments": {
                    "actions": [],
                    "properties": {"completion-mode": "grouped"},
                },
            },
            "transaction(\n) completion-mode=grouped",
        ),
        (
            {
                "execute": "transaction",
                "arguments": {"actions": [{"type": "t", "data": {"a": "x)"}}]},
            },
            'transaction(\n  t a="x)"\n)',
        ),
    ],
)
def test_shapes(message: dict[str, Any], text: str) -> None:
    assert to_shorthand(message) == text
    roundtrip(message)


@pytest.mark.parametrize(
    "value",
    [
        "",
        " ",
        "a b",
        "#x",
        "{x",
        "[x",
        "null",
        "True",
        "1",
        "-1",
        "1e5",
        "0x10",
        "x=y",
        "'",
        '"',
        "é",
        "\n",
        "a\\b",
        "a)",
        ")",
        "f(1)",
        "\x00",
        1,
        -2.5,
        True,
        None,
        [],
        {},
    ],
)
def test_values_round_trip(value: Any) -> None:
    roundtrip({"execute": "x", "arguments": {"v": value}})
    action = {"type": "t", "data": {"v": value}}
    roundtrip({"execute": "transaction", "arguments": {"actions": [action]}})
    if isinstance(value, str):
        assert render_value(value)  # never empty
