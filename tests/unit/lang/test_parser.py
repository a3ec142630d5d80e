"""The shorthand parser: tables of input -> JSON, errors with positions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from qmpsh.lang.parser import Accumulator, Incomplete, ParseError, Request, parse
from tests import corpus


def msg(command: str, **args: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"execute": command}
    if args:
        out["arguments"] = args
    return out


def parsed(text: str) -> dict[str, Any]:
    result = parse(text)
    assert isinstance(result, Request), result
    return result.message


def same(a: Any, b: Any) -> bool:
    """Equal as JSON text (so 1 and 1.0, or 1 and True, differ)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


ROWS: list[tuple[str, dict[str, Any]]] = [
    ("query-status", msg("query-status")),
    ("  query-status   ", msg("query-status")),
    ("query-status # a comment", msg("query-status")),
    ("device_del id=net1", msg("device_del", id="net1")),
    ("x n=42 neg=-3 f=1.5 e=1e3 z=0", msg("x", n=42, neg=-3, f=1.5, e=1000.0, z=0)),
    (
        "x t=true f=false T=True F=FALSE n=null",
        msg("x", t=True, f=False, T=True, F=False, n=None),
    ),
    ("x s=none word=hello", msg("x", s="none", word="hello")),
    ("x id=007", msg("x", id="007")),
    ("x v=1.2.3 ip=10.0.0.1 neg=-x", msg("x", v="1.2.3", ip="10.0.0.1", neg="-x")),
    ("x e=", msg("x", e="")),
    ('x e=""', msg("x", e="")),
    ('x s="true" n="1" q=\'null\'', msg("x", s="true", n="1", q="null")),
    ('x desc="a b"', msg("x", desc="a b")),
    ("x desc='a b'", msg("x", desc="a b")),
    ('x s="tab\\there \\"q\\" \\u00e9"', msg("x", s='tab\there "q" é')),
    ("x s='it\\'s'", msg("x", s="it's")),
    ('x f=/tmp/"my file".qcow2', msg("x", f="/tmp/my file.qcow2")),
    ("x target=nbd+unix:///x?socket=/s", msg("x", target="nbd+unix:///x?socket=/s")),
    ("x a=b=c", msg("x", a="b=c")),
    (
        "x p=/machine/peripheral-anon/device[0]",
        msg("x", p="/machine/peripheral-anon/device[0]"),
    ),
    ("x url=http://h/#frag", msg("x", url="http://h/#frag")),
    ("x ünï=cödé", msg("x", ünï="cödé")),
    ("x l=[1,2,3]", msg("x", l=[1, 2, 3])),
    ("x l=[1, 2, 3] o={}", msg("x", l=[1, 2, 3], o={})),
    ('x o={"a": {"b": [true, null]}}', msg("x", o={"a": {"b": [True, None]}})),
    (
        "x o={'a': True, 'b': None, 'c': [1,],}",
        msg("x", o={"a": True, "b": None, "c": [1]}),
    ),
    (
        "x o={'k':'v','obj':{'prop':\"value\"}}",
        msg("x", o={"k": "v", "obj": {"prop": "value"}}),
    ),
    ("x a.b.c=1 a.b.d=2 a.e=3", msg("x", a={"b": {"c": 1, "d": 2}, "e": 3})),
    (
        "blockdev-add driver=qcow2 node-name=n file.driver=file file.filename=/x",
        msg(
            "blockdev-add",
            driver="qcow2",
            **{"node-name": "n"},
            file={"driver": "file", "filename": "/x"},
        ),
    ),
    (
        "x file.driver=file other=1 file.filename=/x",
        msg("x", file={"driver": "file", "filename": "/x"}, other=1),
    ),
    (
        '{"execute": "query-status", "id": "mine"}',
        {"execute": "query-status", "id": "mine"},
    ),
    ('  {"exec-oob": "migrate-pause"}  # oob', {"exec-oob": "migrate-pause"}),
    ("{'execute': 'x', 'arguments': {'a': True}}", msg("x", a=True)),
    (
        "transaction( block-dirty-bitmap-add node=d0 name=b1 )",
        msg(
            "transaction",
            actions=[
                {"type": "block-dirty-bitmap-add", "data": {"node": "d0", "name": "b1"}}
            ],
        ),
    ),
    ("transaction( )", msg("transaction", actions=[])),
    (
        "transaction(\n a x=1\n\n  # note\n b y.z=2\n)",
        msg(
            "transaction",
            actions=[
                {"type": "a", "data": {"x": 1}},
                {"type": "b", "data": {"y": {"z": 2}}},
            ],
        ),
    ),
    (
        "transaction(\n a x=1 )",
        msg("transaction", actions=[{"type": "a", "data": {"x": 1}}]),
    ),
    (
        "transaction(\n a\n) completion-mode=grouped",
        msg(
            "transaction",
            actions=[{"type": "a", "data": {}}],
            properties={"completion-mode": "grouped"},
        ),
    ),
    ("transaction actions=[]", msg("transaction", actions=[])),
    # the parentheses may touch the words: the same as the spaced form
    ("transaction()", msg("transaction", actions=[])),
    (
        "transaction() completion-mode=grouped",
        {
            "execute": "transaction",
            "arguments": {"actions": [], "properties": {"completion-mode": "grouped"}},
        },
    ),
    ("transaction(a)", msg("transaction", actions=[{"type": "a", "data": {}}])),
    (
        "transaction(a x=1 l=[1]) completion-mode=grouped",
        msg(
            "transaction",
            actions=[{"type": "a", "data": {"x": 1, "l": [1]}}],
            properties={"completion-mode": "grouped"},
        ),
    ),
    (
        "transaction(a x=1\n b y={'z': 2})",
        msg(
            "transaction",
            actions=[
                {"type": "a", "data": {"x": 1}},
                {"type": "b", "data": {"y": {"z": 2}}},
            ],
        ),
    ),
    (
        "transaction(\n a s='x)'\n)",
        msg("transaction", actions=[{"type": "a", "data": {"s": "x)"}}]),
    ),
    (
        'transaction(a f=/tmp/a(1) g="(")',
        msg(
            "transaction", actions=[{"type": "a", "data": {"f": "/tmp/a(1)", "g": "("}}]
        ),
    ),
    ("x f=a) g=(b)", msg("x", f="a)", g="(b)")),
    ("x l=[1,\n 2]", msg("x", l=[1, 2])),
    ('x s="multi\nline"', msg("x", s="multi\nline")),
]


@pytest.mark.parametrize(("text", "expected"), ROWS, ids=[r[0][:40] for r in ROWS])
def test_parse(text: str, expected: dict[str, Any]) -> None:
    assert same(parsed(text), expected)


def test_raw_json_is_flagged() -> None:
    result = parse('{"execute": "x"}')
    assert isinstance(result, Request) and result.raw
    result = parse("x")
    assert isinstance(result, Request) and not result.raw


@pytest.mark.parametrize("text", ["", "   ", "# only a comment", "\n\n", "  # x = 1"])
def test_blank(text: str) -> None:
    assert parse(text) is None


ERRORS: list[tuple[str, int, int, str]] = [
    # text, line, column, a phrase the message must hold
    ("x a.b=1 a=2", 1, 9, "both a value and members"),
    ("x a=2 a.b=1", 1, 7, "both a value and members"),
    ("x a=1 a=2", 1, 7, "set twice"),
    ("x a.b=1 a.b=2", 1, 9, "set twice"),
    ('x a={"b": 1} a.c=2', 1, 14, "both a value and members"),
    ("x foo", 1, 3, "expected name=value"),
    ("x a..b=1", 1, 3, "empty name"),
    ("x .a=1", 1, 3, "empty name"),
    ("x =1", 1, 3, "name is missing"),
    ("x o={a: 1}", 1, 6, "quoted key"),
    ("x l=[1 2]", 1, 8, "expected ','"),
    ("x l=[1]]", 1, 8, "unexpected"),
    ("x o={}x", 1, 7, "unexpected"),
    ("x l=[NaN]", 1, 6, "not a value"),
    ("x l=[NaN]", 1, 6, "(quote the value to send it as a string)"),
    # bare words in a literal: quoted one by one, not the whole value
    ("x devices=[disk0]", 1, 12, 'did you mean devices=["disk0"]?'),
    ("x a=[1, disk0, null]", 1, 9, 'did you mean a=[1, "disk0", null]?'),
    ("x o={a: b}", 1, 6, 'did you mean o={"a": "b"}?'),
    ("x l=[a b]", 1, 6, "(quote the value to send it as a string)"),
    # a hint is one line: none that would span lines
    ("0={;:0\n}", 1, 4, "(quote the value to send it as a string)"),
    ('x o={"a": 1, "a": 2}', 1, 5, "appears twice"),
    ('x s="bad \\q escape"', 1, 10, "unknown escape"),
    ("a=1 x", 1, 1, "starts with a command name, not 'a=1'"),
    ("x=query-status", 1, 1, "(to bind a reply, write x = query-status)"),
    ("@web1 stop", 1, 1, "not '@web1': @TARGET works in a shell on several targets"),
    ("[1, 2]", 1, 1, "starts with a command name"),
    (") x=1", 1, 1, "starts with a command name"),
    ('{"execute": "x"} extra', 1, 18, "after the JSON object"),
    ("transaction(\n a x=1\n b x=1 x=2\n)", 3, 8, "set twice"),
    ("transaction(\n x=1\n)", 2, 2, "action name"),
    ("transaction( a ) b", 1, 18, "expected name=value"),
    ("transaction(\n a\n)\nb", 4, 1, "after the transaction"),
    ("x\ny", 2, 1, "one command per line"),
    ("x a=[1e400]", 1, 6, "out of range for a number"),
    ('{"execute": "x", "arguments": {"a": 1e400}}', 1, 37, "out of range"),
    ("x a=[1])", 1, 8, "expected name=value, got ')'"),
    ("query-name\rquery-status", 1, 12, "a carriage return \\r alone"),
    ("transaction(\n a\n transaction(\n)", 3, 2, "transactions do not nest"),
    ("transaction(transaction( a ) )", 1, 13, "transactions do not nest"),
    ('transaction(\n {"execute": "x"}\n)', 2, 2, "not JSON"),
    ("transaction(\n [1]\n)", 2, 2, "not JSON"),
    ("transaction())", 1, 14, "after ')'"),
    ("transaction(a=1)", 1, 1, "starts with a command name"),
]


@pytest.mark.parametrize(
    ("text", "line", "column", "phrase"), ERRORS, ids=[e[0][:30] for e in ERRORS]
)
def test_errors(text: str, line: int, column: int, phrase: str) -> None:
    with pytest.raises(ParseError) as info:
        parse(text)
    assert (info.value.line, info.value.column) == (line, column), info.value
    assert phrase in info.value.message
    if text.startswith("a=1"):  # no binding hint: 1 is no command
        assert "bind" not in info.value.message


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("transaction(", "transaction"),
        ("transaction(\n a x=1", "transaction"),
        ('x s="open', "quote"),
        ("x s='open", "quote"),
        ("x l=[1,", "bracket"),
        ('x o={"a": "}', "quote"),
        ('{"execute": "x",', "bracket"),
        ("transaction(a x=1", "transaction"),
        ("transaction(a f=/tmp/a(1)", "transaction"),
        ("transaction(a", "transaction"),
    ],
)
def test_incomplete(text: str, what: str) -> None:
    result = parse(text)
    assert isinstance(result, Incomplete)
    assert result.what == what


def test_accumulator_multi_line_transaction() -> None:
    acc = Accumulator()
    assert isinstance(acc.feed("transaction("), Incomplete)
    assert isinstance(acc.feed("a x=1"), Incomplete)
    with pytest.raises(ParseError):
        acc.feed("b y=1 y=2")  # the bad line is dropped, the rest kept
    assert acc.pending
    result = acc.feed(")")
    assert isinstance(result, Request)
    assert result.message["arguments"]["actions"] == [{"type": "a", "data": {"x": 1}}]
    assert not acc.pending


def test_accumulator_drops_a_nested_transaction_line() -> None:
    acc = Accumulator()
    assert isinstance(acc.feed("transaction(a x=1"), Incomplete)
    for bad in ("transaction(", '{"execute": "query-status"}'):
        with pytest.raises(ParseError) as info:
            acc.feed(bad)
        assert (info.value.line, info.value.column) == (2, 1)
        assert acc.pending
    result = acc.feed("b y=2)")
    assert isinstance(result, Request)
    assert result.message["arguments"]["actions"] == [
        {"type": "a", "data": {"x": 1}},
        {"type": "b", "data": {"y": 2}},
    ]


def test_accumulator_finish_reports_open_construct() -> None:
    acc = Accumulator()
    acc.feed("x a=1")
    acc.finish()  # nothing open: fine
    acc.feed("x l=[1,")
    with pytest.raises(ParseError) as info:
        acc.finish()
    assert "never closed" in info.value.message
    assert "line 1, column 5" in info.value.message
    assert not acc.pending


def test_schema_typer_sees_path_and_arguments() -> None:
    seen: list[tuple[str, tuple[str | int, ...], str, dict[str, Any]]] = []

    def typer(command: str, path: tuple[str | int, ...], text: str, args: Any) -> Any:
        seen.append((command, path, text, json.loads(json.dumps(args))))
        return f"<{text}>"

    result = parse('x a.b=007 q="1" c=[1]', typer)
    assert isinstance(result, Request)
    assert result.message["arguments"] == {"a": {"b": "<007>"}, "q": "1", "c": [1]}
    assert seen == [("x", ("a", "b"), "007", {"a": {}})]
    seen.clear()
    parse("transaction(\n t d=1\n)", typer)
    assert seen == [
        (
            "transaction",
            ("actions", 0, "data", "d"),
            "1",
            {"actions": [{"type": "t", "data": {}}]},
        )
    ]


# -- qmp-shell's known bugs, each a row: qmp-shell's parser gets it wrong ------

QMP_SHELL_BUGS: list[tuple[str, str, dict[str, Any] | None]] = [
    (
        "dotted keys nest from the root",
        "blockdev-add driver=qcow2 node-name=n file.driver=file file.filename=/x",
        msg(
            "blockdev-add",
            driver="qcow2",
            **{"node-name": "n"},
            file={"driver": "file", "filename": "/x"},
        ),
    ),
    ("leaf and parent is an error", "x a.b=1 a=2", None),
    ("quotes are stripped", 'x desc="a b"', msg("x", desc="a b")),
    ("single quotes are stripped", "x desc='a b'", msg("x", desc="a b")),
    ("quoted numbers stay strings", 'x id="7"', msg("x", id="7")),
    ("leading zeros are not numbers", "x id=007", msg("x", id="007")),
    ("JSON with spaces is one value", "x l=[1, 2]", msg("x", l=[1, 2])),
    ("a bad literal is an error, not a string", "x o={bad", None),
]


def _qmp_shell_parse(text: str) -> Any:
    from qemu.qmp.qmp_shell import QMPShell

    shell = QMPShell("/nonexistent")
    try:
        return shell._build_cmd(text)
    except Exception as err:
        return err


@pytest.mark.parametrize(
    ("bug", "text", "expected"), QMP_SHELL_BUGS, ids=[b[0] for b in QMP_SHELL_BUGS]
)
def test_qmp_shell_bugs_fixed(
    bug: str, text: str, expected: dict[str, Any] | None
) -> None:
    theirs = _qmp_shell_parse(text)
    if expected is None:
        with pytest.raises(ParseError):
            result = parse(text)
            if isinstance(result, Incomplete):  # at end of input: an error
                acc = Accumulator()
                acc.feed(text)
                acc.finish()
        assert not isinstance(theirs, Exception), "qmp-shell also refuses this"
    else:
        assert same(parsed(text), expected)
        assert isinstance(theirs, Exception) or not same(theirs, expected), (
            "qmp-shell already gets this right"
        )


# -- QEMU's own documented examples --------------------------------------------


def test_corpus_requests_parse_from_their_json() -> None:
    for request in corpus.requests():
        result = parse(json.dumps(request))
        assert isinstance(result, Request)
        assert same(result.message, request)


def test_every_prefix_of_every_example_is_handled() -> None:
    """Any prefix gives a request, "more input", nothing, or a ParseError."""
    from qmpsh.lang.unparse import to_shorthand

    for request in corpus.requests():
        for text in (to_shorthand(request), json.dumps(request)):
            for end in range(len(text) + 1):
                try:
                    result = parse(text[:end])
                except ParseError as err:
                    assert err.column >= 1 and err.line >= 1
                    continue
                assert result is None or isinstance(result, Request | Incomplete)
