"""`qmpsh.lang.variables` and `qmpsh.lang.bound`: assignments, references,
substitution, with the columns of their errors."""

from __future__ import annotations

from typing import Any

import pytest

from qmpsh.lang.aliases import Alias
from qmpsh.lang.anatomy import anatomy
from qmpsh.lang.bound import parse_bound, prepare, retyped
from qmpsh.lang.parser import Request
from qmpsh.lang.variables import (
    Assignment,
    Variables,
    assignment,
    find_references,
    substitute,
)
from qmpsh.lang.words import ParseError


@pytest.fixture
def bound() -> Variables:
    v = Variables()
    v.bind("h", 5)
    v.bind("s", 'a b"c')
    v.bind("jobs", [{"id": "job0", "status": "running"}, {"id": "j1"}])
    v.bind("obj", {"node-name": "n0", "size": 1024})
    v.bind("t", True)
    v.returned("none-machine")
    return v


def args(text: str, variables: Variables) -> Any:
    result = parse_bound(text, None, variables)
    assert isinstance(result, Request)
    return result.message.get("arguments")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a whole value is typed as the JSON value
        ("c handle=$h", {"handle": 5}),
        ("c handle=${h}", {"handle": 5}),
        ("c v=$s", {"v": 'a b"c'}),
        ("c v=$t", {"v": True}),
        ("c v=$obj", {"v": {"node-name": "n0", "size": 1024}}),
        ("c v=$_", {"v": "none-machine"}),
        # picks with JMESPath
        ("c v=${jobs[0].id}", {"v": "job0"}),
        ("c v=${jobs | [1].id}", {"v": "j1"}),
        ("c v=${jobs[?status=='running'] | [0].id}", {"v": "job0"}),
        ("c v=${obj.size}", {"v": 1024}),
        # QMP's names written bare (qmpsh.core.query.quote_names)
        ("c v=${obj.node-name}", {"v": "n0"}),
        ('c v=${obj."node-name"}', {"v": "n0"}),
        # inside a longer value: the text, and a string
        ("c p=/tmp/$s.img", {"p": '/tmp/a b"c.img'}),
        ("c id=disk$h", {"id": "disk5"}),
        ("c id=${h}0", {"id": "50"}),
        # literals and raw JSON: the value's JSON, outside strings only
        ("c l=[$h, ${jobs[0].id}]", {"l": [5, "job0"]}),
        (
            "c o={'a': $obj, 'b': '$h'}",
            {"o": {"a": {"node-name": "n0", "size": 1024}, "b": "$h"}},
        ),
        ('{"execute": "c", "arguments": {"h": $h, "s": "$h"}}', {"h": 5, "s": "$h"}),
        # a $ that is no reference stays as it was
        (
            "c q=cost5$ r=$1 s=a$-b t=$",
            {"q": "cost5$", "r": "$1", "s": "a$-b", "t": "$"},
        ),
        # quoted or escaped: literal
        ("c p='$h' q=\"$h\" r=pa\\$h", {"p": "$h", "q": "$h", "r": "pa$h"}),
        # keys and dotted keys are not values
        ("c $h=1", {"$h": 1}),
        # in a transaction's actions and properties
        (
            "transaction(\n a handle=$h\n) p=$t",
            {
                "actions": [{"type": "a", "data": {"handle": 5}}],
                "properties": {"p": True},
            },
        ),
    ],
)
def test_substitution(text: str, expected: Any, bound: Variables) -> None:
    assert args(text, bound) == expected


@pytest.mark.parametrize(
    ("text", "column", "said"),
    [
        ("c a=1 b=$hh", 9, "undefined variable $hh (did you mean $h?)"),
        (
            "c a=$nothing",
            5,
            "undefined variable $nothing (for a literal $, write \\$ or quote the value)",
        ),
        ("c a=${jobs[5].id}", 5, "${jobs[5].id} picks nothing from $jobs"),
        ("c a=${jobs[}", 5, "${jobs[}: bad JMESPath expression"),
        ("c a=${h", 5, "${ is never closed with }"),
        ("c a=${ 3}", 8, "${ is followed by a variable's name"),
        ("c a=${h x}", 8, "after ${h write .member, [index] or | expression"),
        ("c a=${h |}", 10, "nothing after | in ${...}"),
        ("c a=x$obj", 6, "$obj is an object: use it as a whole value"),
        # a value that held a $ before: said, not sent changed
        ("c p=pa$$word", 8, "undefined variable $word"),
        ("c a=[1, $zz]", 9, "undefined variable $zz"),
    ],
)
def test_errors_at_their_column(
    text: str, column: int, said: str, bound: Variables
) -> None:
    with pytest.raises(ParseError) as err:
        parse_bound(text, None, bound)
    assert err.value.column == column
    assert err.value.message.startswith(said)


def test_a_parse_error_after_a_substitution_points_at_the_typed_text(
    bound: Variables,
) -> None:
    # the value of $s is longer than "$s": the error after it keeps its column
    text = "c a=$s b=1 b=2"
    with pytest.raises(ParseError) as err:
        parse_bound(text, None, bound)
    assert (err.value.column, err.value.message) == (12, "'b' is set twice")


def test_a_failed_command_leaves_its_name_unbound(bound: Variables) -> None:
    bound.fail("h", "its command failed (stdin:3)")
    with pytest.raises(ParseError) as err:
        parse_bound("c a=$h", None, bound)
    assert err.value.message == "$h is not bound: its command failed (stdin:3)"
    bound.bind("h", 6)
    assert args("c a=$h", bound) == {"a": 6}
    fresh = Variables()
    with pytest.raises(ParseError, match=r"\$_ is not bound yet"):
        parse_bound("c a=$_", None, fresh)


def test_no_reference_costs_nothing() -> None:
    assert substitute("query-status", Variables()) is None
    assert find_references("c a='$x'") == []
    assert [r.name for r in find_references("c a=$x b=${y.z} c=\\$w")] == ["x", "y", ""]


def split_assignment(text: str) -> Assignment:
    """The assignment the line *text* starts with (there must be one)."""
    found = anatomy(text).assign
    assert found is not None
    return assignment(text, found)


@pytest.mark.parametrize(
    ("text", "name", "command"),
    [
        ("h = guest-file-open path=/x", "h", "    guest-file-open path=/x"),
        ("  my_var2  =  query-status", "my_var2", " " * 14 + "query-status"),
        ('r = {"execute": "query-status"}', "r", '    {"execute": "query-status"}'),
    ],
)
def test_assignments(text: str, name: str, command: str) -> None:
    found = split_assignment(text)
    assert (found.name, found.command) == (name, command)
    assert len(found.command) == len(text)  # columns stay right


@pytest.mark.parametrize(
    "text", ["query-status", "h=query-status", "c a = b", "c x=1", "transaction("]
)
def test_not_assignments(text: str) -> None:
    assert anatomy(text).assign is None


@pytest.mark.parametrize(
    ("text", "column", "said"),
    [
        ("my-var = query-status", 1, "a variable's name starts with a letter or _,"),
        ("1x = query-status", 1, "a variable's name starts with a letter or _, then"),
        ("h = ", 4, "nothing to bind to h: write h = COMMAND ..."),
    ],
)
def test_bad_assignments(text: str, column: int, said: str) -> None:
    with pytest.raises(ParseError) as err:
        split_assignment(text)
    assert err.value.column == column and err.value.message.startswith(said)


def test_prepare_splits_the_assignment_and_expands_the_alias() -> None:
    table = {"m": Alias("m", "drive-mirror device=$1 target=$2 sync=full")}
    prepared = prepare(anatomy("j = m d0 /x.qcow2"), table)
    assert prepared.bind == "j" and prepared.aliases == ("m",)
    assert prepared.text == "    drive-mirror device=d0 target=/x.qcow2 sync=full"
    # an error in the expansion maps back to the typed line
    typed = "j = m d0 /x.qcow2 foo"
    with pytest.raises(ParseError) as err:
        prepare(anatomy(typed), table)
    assert err.value.column == 19
    typed = "j = m d0 [1]x"
    prepared = prepare(anatomy(typed), table)
    with pytest.raises(ParseError) as perr:
        parse_bound(prepared.text, None, Variables())
    where = retyped(perr.value, prepared, typed, prepared.text)
    assert where.column == 13  # in the argument as typed


def test_prepare_reads_the_line_as_the_shell_does() -> None:
    """The ``!`` blanked, the ``NAME =`` after it split off; ``alias NAME
    =`` is a definition, not an assignment."""
    prepared = prepare(anatomy("!h = query-name", targets=False), {})
    assert (prepared.text, prepared.bind) == ("     query-name", "h")
    prepared = prepare(anatomy("alias m = query-name", targets=False), {})
    assert (prepared.text, prepared.bind) == ("alias m = query-name", None)
    with pytest.raises(ParseError) as err:
        prepare(anatomy("! my-h = query-name", targets=False), {})
    assert err.value.column == 3
