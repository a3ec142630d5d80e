"""Deep JSON: depth, and writing it without recursion."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qmpsh.core.deepjson import MAX_DEPTH, depth, dumps, non_finite
from qmpsh.core.render import render_json

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4)
    ),
    max_leaves=30,
)


def nested(levels: int) -> Any:
    value: Any = 1
    for i in range(levels):
        value = [value] if i % 2 else {"k": value}
    return value


@pytest.mark.parametrize(
    ("value", "expected"), [(1, 0), ([], 1), ({"a": [1, {}]}, 3), (nested(50), 50)]
)
def test_depth(value: Any, expected: int) -> None:
    assert depth(value) == expected


@settings(max_examples=200, deadline=None)
@given(JSON)
def test_dumps_is_json_dumps(value: Any) -> None:
    assert dumps(value) == json.dumps(value, ensure_ascii=False)


def test_far_deeper_than_the_recursion_limit() -> None:
    levels = sys.getrecursionlimit() * 20
    text = dumps(nested(levels))
    assert text.count("[") + text.count("{") == levels
    # render never raises: it falls back to the iterative writer
    assert render_json(nested(levels), pretty=True) == text
    assert MAX_DEPTH == 1024


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ({"a": [1, 2.5, "inf", None]}, None),
        ({"a": [1, {"b": float("inf")}]}, float("inf")),
        ([float("-inf")], float("-inf")),
        (nested(2000), None),
    ],
)
def test_non_finite(value: Any, found: float | None) -> None:
    assert non_finite(value) == found


def test_non_finite_finds_nan() -> None:
    got = non_finite({"execute": "x", "arguments": {"a": (1, float("nan"))}})
    assert got is not None and got != got
