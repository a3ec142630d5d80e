"""The fast indenter writes exactly what json.dumps(indent=2) writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qmpsh.core.pretty import pretty
from tests import corpus

DATA = Path(__file__).resolve().parents[2] / "data"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4)
    ),
    max_leaves=30,
)


def reference(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


@given(json_values)
@settings(max_examples=300, deadline=None)
def test_same_as_json(value: Any) -> None:
    assert pretty(value) == reference(value)


def test_every_corpus_message() -> None:
    for example in corpus.examples():
        for message in [example["request"], *example["replies"]]:
            if message is not None:
                assert pretty(message) == reference(message)


def test_a_captured_schema() -> None:
    schema = json.loads((DATA / "qmp-schema-x86_64-7.2.json").read_text())
    assert pretty(schema) == reference(schema)


@pytest.mark.parametrize("value", [{}, [], 'é\n"', 1.5, None, {"a": ()}, (1, 2)])
def test_edges(value: Any) -> None:
    assert pretty(value) == reference(value)
