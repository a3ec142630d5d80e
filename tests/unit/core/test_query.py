"""--query (qmpsh.core.query): JMESPath, its mistakes in one line."""

from __future__ import annotations

import pytest

from qmpsh.core.query import QueryError, compile_query, quote_names


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


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("[].node-name", '[]."node-name"'),
        (
            "[].{n: node-name, s: image.virtual-size}",
            '[].{n: "node-name", s: image."virtual-size"}',
        ),
        ("[?drv=='null-co'].node-name", "[?drv=='null-co'].\"node-name\""),
        # valid expressions come back as they are
        ('[]."node-name"', '[]."node-name"'),
        ("a[-1]", "a[-1]"),
        ("[?x == `-1`]", "[?x == `-1`]"),
        ('`{"a-b": 1}`', '`{"a-b": 1}`'),
        ("'raw-string'", "'raw-string'"),
        ('"esc\\"-x"', '"esc\\"-x"'),
        ("to_number(size)", "to_number(size)"),
        # a trailing minus is not part of the name: still a mistake
        ("foo-", "foo-"),
    ],
)
def test_bare_names_with_a_minus_are_quoted(text: str, quoted: str) -> None:
    assert quote_names(text)[0] == quoted


def test_qmp_names_may_be_written_bare() -> None:
    nodes = [{"node-name": "n0", "image": {"virtual-size": 64}}, {"node-name": "n1"}]
    assert compile_query("[].node-name").apply(nodes) == ["n0", "n1"]
    query = compile_query("[?node-name=='n0'].image.virtual-size | [0]")
    assert query.apply(nodes) == 64
    assert query.text == "[?node-name=='n0'].image.virtual-size | [0]"


def test_a_mistake_in_an_expression_with_bare_names_says_the_users_column() -> None:
    # the column is counted in the text given, not in the quoted one
    with pytest.raises(QueryError) as err:
        compile_query("[].node-name[")
    assert (
        str(err.value) == "column 14: the expression ends too early in '[].node-name['"
    )
    with pytest.raises(QueryError) as err:
        compile_query("[].node-name foo")
    assert str(err.value) == "column 14: unexpected 'foo' in '[].node-name foo'"


def test_every_offset_leads_back_to_the_text() -> None:
    text = "[?drv=='a-b'].node-name"
    quoted, origin = quote_names(text)
    assert len(origin) == len(quoted) + 1 and origin[-1] == len(text)
    assert quoted[origin.index(14)] == '"'  # the opening quote: the name's start
    for at, came_from in enumerate(origin[:-1]):
        if quoted[at] != '"':
            assert quoted[at] == text[came_from]
