"""--query (qmpsh.core.query): JMESPath, its mistakes in one line."""

from __future__ import annotations

import pytest

from qmpsh.core.query import QueryError, compile_query


def test_applies() -> None:
    query = compile_query("[?ro].device")
    assert query.apply([{"device": "a", "ro": True}, {"device": "b"}]) == ["a"]
    assert compile_query("length(@)").apply([1, 2]) == 2
    assert compile_query("missing").apply({"a": 1}) is None


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("[].device[", "column 11: the expression ends too early in '[].device['"),
        ("foo bar", "column 5: unexpected 'bar' in 'foo bar'"),
        ("x == `1", "column 6: Unclosed ` delimiter in 'x == `1'"),
        ("", "an empty expression: give one, e.g. '[].device'"),
    ],
)
def test_mistakes_say_where(text: str, line: str) -> None:
    with pytest.raises(QueryError) as err:
        compile_query(text)
    assert str(err.value) == line


def test_a_function_misused_shows_when_applied() -> None:
    query = compile_query("length(`1`)")
    with pytest.raises(QueryError, match=r"^In function length\(\), invalid type"):
        query.apply({})
    with pytest.raises(QueryError, match="Unknown function: nosuch"):
        compile_query("nosuch(@)").apply({})
