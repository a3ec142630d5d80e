"""The shorthand lexer, as token lists."""

from __future__ import annotations

import pytest
from pygments.token import (
    Comment,
    Generic,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
)

from qmpsh.lang.lexer import ShorthandLexer, lex
from tests import corpus

W = (Whitespace, " ")
KNOWN = {"query-status", "blockdev-add", "qom-get", "transaction"}


def test_command_alone() -> None:
    assert lex("query-status") == [(Name.Function, "query-status")]


def test_arguments_keys_equals_and_values() -> None:
    assert lex('blockdev-add driver=qcow2 file.filename="/a b" size=1 x=1.5') == [
        (Name.Function, "blockdev-add"),
        W,
        (Name.Attribute, "driver"),
        (Operator, "="),
        (String.Other, "qcow2"),
        W,
        (Name.Attribute, "file.filename"),
        (Operator, "="),
        (String.Double, '"/a b"'),
        W,
        (Name.Attribute, "size"),
        (Operator, "="),
        (Number.Integer, "1"),
        W,
        (Name.Attribute, "x"),
        (Operator, "="),
        (Number.Float, "1.5"),
    ]


@pytest.mark.parametrize(
    ("value", "token"),
    [
        ("true", Keyword.Constant),
        ("False", Keyword.Constant),  # the parser takes any case
        ("null", Keyword.Constant),
        ("007", String.Other),  # not a JSON number: a string
        ("-3", Number.Integer),
        ("1e3", Number.Float),
        ("nbd+unix:///x?socket=/s", String.Other),
        ("'it\\'s'", String.Single),
    ],
)
def test_value_kinds_follow_the_default_typer(value: str, token: object) -> None:
    assert lex(f"c k={value}")[-1] == (token, value)


def test_mixed_quoted_value_is_pieces_of_strings() -> None:
    assert lex('c k=a"b c"')[4:] == [(String.Other, "a"), (String.Double, '"b c"')]


def test_structured_values_and_python_spelling() -> None:
    assert lex("c l=[1, {'a': None}]")[4:] == [
        (Punctuation, "["),
        (Number.Integer, "1"),
        (Punctuation, ","),
        W,
        (Punctuation, "{"),
        (Name.Tag, "'a'"),
        (Punctuation, ":"),
        W,
        (Keyword.Constant, "None"),
        (Punctuation, "}"),
        (Punctuation, "]"),
    ]


def test_raw_json_line() -> None:
    assert lex('{"execute": "quit", "id": "a"}') == [
        (Punctuation, "{"),
        (Name.Tag, '"execute"'),
        (Punctuation, ":"),
        W,
        (String.Double, '"quit"'),
        (Punctuation, ","),
        W,
        (Name.Tag, '"id"'),
        (Punctuation, ":"),
        W,
        (String.Double, '"a"'),
        (Punctuation, "}"),
    ]


def test_transaction_over_lines_with_properties() -> None:
    text = "transaction(\n  abort\n  x a=1\n) completion-mode=grouped"
    assert lex(text, KNOWN) == [
        (Keyword, "transaction("),
        (Whitespace, "\n"),
        (Whitespace, "  "),
        (Name.Function, "abort"),  # actions are not checked against commands
        (Whitespace, "\n"),
        (Whitespace, "  "),
        (Name.Function, "x"),
        W,
        (Name.Attribute, "a"),
        (Operator, "="),
        (Number.Integer, "1"),
        (Whitespace, "\n"),
        (Keyword, ")"),
        W,
        (Name.Attribute, "completion-mode"),
        (Operator, "="),
        (String.Other, "grouped"),
    ]


def test_transaction_on_one_line() -> None:
    assert lex("transaction( abort )") == [
        (Keyword, "transaction("),
        W,
        (Name.Function, "abort"),
        W,
        (Keyword, ")"),
    ]


def test_comments() -> None:
    assert lex("# all comment") == [(Comment.Single, "# all comment")]
    assert lex("query-status # why") == [
        (Name.Function, "query-status"),
        W,
        (Comment.Single, "# why"),
    ]
    # '#' inside a value is part of it, as the parser reads it
    assert lex("c k=a#b")[-1] == (String.Other, "a#b")


def test_unknown_and_builtin_names_once_commands_are_known() -> None:
    assert lex("query-stat", KNOWN) == [(Generic.Error, "query-stat")]
    assert lex("query-status", KNOWN) == [(Name.Function, "query-status")]
    assert lex("events --clear", KNOWN, {"events"})[0] == (Name.Builtin, "events")
    # until the list is known, every name is a plain command
    assert lex("query-stat") == [(Name.Function, "query-stat")]


def test_stray_word_is_plain_text() -> None:
    assert lex("c nokey")[-1] == (Text, "nokey")


@pytest.mark.parametrize(
    "text",
    [
        'c a="open',
        "c l=[1,\n2",
        '{"execute": "x',
        "transaction(\n a b=1",
        "c a=",
        "=",
        ")",
    ],
)
def test_unfinished_input_lexes_to_its_end(text: str) -> None:
    pieces = lex(text)
    assert "".join(value for _, value in pieces) == text


def test_every_prefix_of_every_corpus_request_covers_the_text() -> None:
    from qmpsh.lang.unparse import to_shorthand

    lexer = ShorthandLexer(commands=KNOWN)
    texts = [to_shorthand(request) for request in corpus.requests()]
    assert len(texts) > 100
    for text in texts:
        for end in range(len(text) + 1):
            prefix = text[:end]
            got = "".join(v for _, _, v in lexer.get_tokens_unprocessed(prefix))
            assert got == prefix


def test_corpus_requests_lex_without_stray_words() -> None:
    """Every documented request, in shorthand, is names, keys and values."""
    from qmpsh.lang.unparse import to_shorthand

    for request in corpus.requests():
        text = to_shorthand(request)
        tokens = {token for token, _ in lex(text)}
        assert Text not in tokens, text
        assert Generic.Error not in tokens, text


def test_pygments_get_tokens_works_with_the_lexer_options() -> None:
    lexer = ShorthandLexer(commands=["a"], ensurenl=False)
    assert list(lexer.get_tokens("a")) == [(Name.Function, "a")]


def test_what_surrounds_the_command() -> None:
    """The parts `qmpsh.lang.anatomy` finds: ``!``, ``NAME =``, ``alias
    NAME =`` and a sink; the command between them lexes as alone."""
    assert lex("!query-status", KNOWN) == [
        (Operator, "!"),
        (Name.Function, "query-status"),
    ]
    assert lex("! h = query-status", KNOWN) == [
        (Operator, "!"),
        W,
        (Name.Variable, "h"),
        W,
        (Operator, "="),
        W,
        (Name.Function, "query-status"),
    ]
    assert lex("alias st = query-status $@", KNOWN, {"alias"}) == [
        (Name.Builtin, "alias"),
        W,
        (Name.Function, "st"),
        W,
        (Operator, "="),
        W,
        (Name.Function, "query-status"),
        W,
        (Text, "$@"),
    ]
    assert lex('qom-get path="a | b" | grep  x', KNOWN) == [
        (Name.Function, "qom-get"),
        W,
        (Name.Attribute, "path"),
        (Operator, "="),
        (String.Double, '"a | b"'),
        W,
        (Operator, "|"),
        W,
        (Text, "grep  x"),
    ]
    assert lex("query-status >> out.json\n", KNOWN)[-3:] == [
        (Operator, ">>"),
        W,
        (Text, "out.json\n"),
    ]
    # a sink that cannot be stays in the command (said on Enter)
    assert lex("query-status |", KNOWN)[-1] == (Text, "|")
