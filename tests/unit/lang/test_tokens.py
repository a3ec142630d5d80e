"""The one tokenizer: token kinds, open quotes and brackets, and that any
text at all comes back as tokens tiling it."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qmpsh.lang import tokens
from qmpsh.lang.tokens import Kind, Token, bracket_end, is_bare, lines, tokenize
from qmpsh.lang.unparse import to_shorthand
from tests import corpus
from tests.unit.lang.test_properties import SETTINGS, TEXT

K = Kind

ROWS: list[tuple[str, list[tuple[Kind, str]]]] = [
    ("query-status", [(K.NAME, "query-status")]),
    (
        "  query-status\t # why",
        [
            (K.SPACE, "  "),
            (K.NAME, "query-status"),
            (K.SPACE, "\t "),
            (K.COMMENT, "# why"),
        ],
    ),
    (
        "x a=1 b.c=d",
        [
            (K.NAME, "x"),
            (K.SPACE, " "),
            (K.KEY, "a"),
            (K.EQUALS, "="),
            (K.BARE, "1"),
            (K.SPACE, " "),
            (K.KEY, "b.c"),
            (K.EQUALS, "="),
            (K.BARE, "d"),
        ],
    ),
    ("x e=", [(K.NAME, "x"), (K.SPACE, " "), (K.KEY, "e"), (K.EQUALS, "=")]),
    # only the first "=" splits; "#" inside a word is no comment
    (
        "x a=b=c",
        [(K.NAME, "x"), (K.SPACE, " "), (K.KEY, "a"), (K.EQUALS, "="), (K.BARE, "b=c")],
    ),
    (
        "x u=h/#f",
        [
            (K.NAME, "x"),
            (K.SPACE, " "),
            (K.KEY, "u"),
            (K.EQUALS, "="),
            (K.BARE, "h/#f"),
        ],
    ),
    ("x#y", [(K.NAME, "x#y")]),
    (
        'x s="a b"',
        [
            (K.NAME, "x"),
            (K.SPACE, " "),
            (K.KEY, "s"),
            (K.EQUALS, "="),
            (K.QUOTED, '"a b"'),
        ],
    ),
    (
        "x s='it\\'s'",
        [
            (K.NAME, "x"),
            (K.SPACE, " "),
            (K.KEY, "s"),
            (K.EQUALS, "="),
            (K.QUOTED, "'it\\'s'"),
        ],
    ),
    (
        'x f=/t/"my file".q',
        [
            (K.NAME, "x"),
            (K.SPACE, " "),
            (K.KEY, "f"),
            (K.EQUALS, "="),
            (K.BARE, "/t/"),
            (K.QUOTED, '"my file"'),
            (K.BARE, ".q"),
        ],
    ),
    (
        'x s="two\nlines"',
        [
            (K.NAME, "x"),
            (K.SPACE, " "),
            (K.KEY, "s"),
            (K.EQUALS, "="),
            (K.QUOTED, '"two\nlines"'),
        ],
    ),
    (
        "x l=[1, [2]]",
        [
            (K.NAME, "x"),
            (K.SPACE, " "),
            (K.KEY, "l"),
            (K.EQUALS, "="),
            (K.BRACKETED, "[1, [2]]"),
        ],
    ),
    (
        "x o={'}': 1}",
        [
            (K.NAME, "x"),
            (K.SPACE, " "),
            (K.KEY, "o"),
            (K.EQUALS, "="),
            (K.BRACKETED, "{'}': 1}"),
        ],
    ),
    (
        "x l=[1,\n 2]",
        [
            (K.NAME, "x"),
            (K.SPACE, " "),
            (K.KEY, "l"),
            (K.EQUALS, "="),
            (K.BRACKETED, "[1,\n 2]"),
        ],
    ),
    # what the strict reading refuses, whatever the context
    (
        "x o={}y z",
        [
            (K.NAME, "x"),
            (K.SPACE, " "),
            (K.KEY, "o"),
            (K.EQUALS, "="),
            (K.BRACKETED, "{}"),
            (K.ERROR, "y"),
            (K.SPACE, " "),
            (K.WORD, "z"),
        ],
    ),
    (
        'x ="a b" y',
        [
            (K.NAME, "x"),
            (K.SPACE, " "),
            (K.ERROR, '="a b"'),
            (K.SPACE, " "),
            (K.WORD, "y"),
        ],
    ),
    ('{"a": 1} x', [(K.JSON, '{"a": 1}'), (K.SPACE, " "), (K.ERROR, "x")]),
    (
        '# c\n {"a": 1}',
        [(K.COMMENT, "# c"), (K.NEWLINE, "\n"), (K.SPACE, " "), (K.JSON, '{"a": 1}')],
    ),
    # a ")" after a literal is a word of its own (it may end a transaction)
    (
        "x a=[1])",
        [
            (K.NAME, "x"),
            (K.SPACE, " "),
            (K.KEY, "a"),
            (K.EQUALS, "="),
            (K.BRACKETED, "[1]"),
            (K.WORD, ")"),
        ],
    ),
    # words that are not key=value
    ("[1, 2]", [(K.NAME, "[1,"), (K.SPACE, " "), (K.WORD, "2]")]),
    ("x ['a b']", [(K.NAME, "x"), (K.SPACE, " "), (K.BRACKETED, "['a b']")]),
    (
        'x "a b"c d',
        [
            (K.NAME, "x"),
            (K.SPACE, " "),
            (K.QUOTED, '"a b"'),
            (K.WORD, "c"),
            (K.SPACE, " "),
            (K.WORD, "d"),
        ],
    ),
    (
        "a=1 b",
        [(K.KEY, "a"), (K.EQUALS, "="), (K.BARE, "1"), (K.SPACE, " "), (K.WORD, "b")],
    ),
    ("x\r\ny", [(K.NAME, "x"), (K.SPACE, "\r"), (K.NEWLINE, "\n"), (K.NAME, "y")]),
    (
        "x f=a) g=(b)",
        [
            (K.NAME, "x"),
            (K.SPACE, " "),
            (K.KEY, "f"),
            (K.EQUALS, "="),
            (K.BARE, "a)"),
            (K.SPACE, " "),
            (K.KEY, "g"),
            (K.EQUALS, "="),
            (K.BARE, "(b)"),
        ],
    ),
    # transactions
    (
        "transaction(\n a x=1\n) p=q",
        [
            (K.OPEN, "transaction("),
            (K.NEWLINE, "\n"),
            (K.SPACE, " "),
            (K.ACTION, "a"),
            (K.SPACE, " "),
            (K.KEY, "x"),
            (K.EQUALS, "="),
            (K.BARE, "1"),
            (K.NEWLINE, "\n"),
            (K.CLOSE, ")"),
            (K.SPACE, " "),
            (K.KEY, "p"),
            (K.EQUALS, "="),
            (K.BARE, "q"),
        ],
    ),
    (
        "transaction(a x=1)",
        [
            (K.OPEN, "transaction("),
            (K.ACTION, "a"),
            (K.SPACE, " "),
            (K.KEY, "x"),
            (K.EQUALS, "="),
            (K.BARE, "1"),
            (K.CLOSE, ")"),
        ],
    ),
    ("transaction(a)", [(K.OPEN, "transaction("), (K.ACTION, "a"), (K.CLOSE, ")")]),
    ("transaction())", [(K.OPEN, "transaction("), (K.CLOSE, ")"), (K.WORD, ")")]),
    (
        "transaction( a ) )",
        [
            (K.OPEN, "transaction("),
            (K.SPACE, " "),
            (K.ACTION, "a"),
            (K.SPACE, " "),
            (K.CLOSE, ")"),
            (K.SPACE, " "),
            (K.WORD, ")"),
        ],
    ),
    # a ")" closing a "(" of its word, or inside quotes, closes nothing
    (
        'transaction(a f=/a(1) g=")"',
        [
            (K.OPEN, "transaction("),
            (K.ACTION, "a"),
            (K.SPACE, " "),
            (K.KEY, "f"),
            (K.EQUALS, "="),
            (K.BARE, "/a(1)"),
            (K.SPACE, " "),
            (K.KEY, "g"),
            (K.EQUALS, "="),
            (K.QUOTED, '")"'),
        ],
    ),
    (
        "transaction(a l=[1])",
        [
            (K.OPEN, "transaction("),
            (K.ACTION, "a"),
            (K.SPACE, " "),
            (K.KEY, "l"),
            (K.EQUALS, "="),
            (K.BRACKETED, "[1]"),
            (K.CLOSE, ")"),
        ],
    ),
    # not a transaction: key=value, or not the first word
    ("transaction(a=1)", [(K.KEY, "transaction(a"), (K.EQUALS, "="), (K.BARE, "1)")]),
    ("x transaction(", [(K.NAME, "x"), (K.SPACE, " "), (K.WORD, "transaction(")]),
    (
        "transaction(\n transaction(",
        [
            (K.OPEN, "transaction("),
            (K.NEWLINE, "\n"),
            (K.SPACE, " "),
            (K.ACTION, "transaction("),
        ],
    ),
]


@pytest.mark.parametrize(("text", "expected"), ROWS, ids=[r[0][:30] for r in ROWS])
def test_kinds(text: str, expected: list[tuple[Kind, str]]) -> None:
    assert [(t.kind, t.text) for t in tokenize(text)] == expected


@pytest.mark.parametrize(
    ("text", "kind", "open_at"),
    [
        ('x s="open', K.QUOTED, 4),
        ("x s='it\\'", K.QUOTED, 4),
        ('x s="a\\', K.QUOTED, 4),
        ('x s=a"b c', K.QUOTED, 5),
        ("x l=[1,\n2", K.BRACKETED, 4),
        ("x l=[1, 'a]", K.BRACKETED, 8),
        ("x o={'a': {", K.BRACKETED, 4),
        ('{"execute": "x",', K.JSON, 0),
        ('{"execute": "x', K.JSON, 12),
        ('x "open', K.QUOTED, 2),
    ],
)
def test_unclosed_runs_to_the_end(text: str, kind: Kind, open_at: int) -> None:
    last = tokenize(text)[-1]
    assert (last.kind, last.end, last.open_at) == (kind, len(text), open_at)


def test_closed_tokens_say_so() -> None:
    assert all(t.open_at == -1 for t in tokenize("x a=\"b\" c=[']'] {")[:-1])


def test_words_and_lines() -> None:
    text = 'transaction(a x="1"2\n\n b)'
    got = [[[t.text for t in w] for w in line] for line in lines(tokenize(text))]
    assert got == [
        [["transaction("], ["a"], ["x", "=", '"1"', "2"]],
        [],
        [["b"], [")"]],
    ]


def test_without_blanks() -> None:
    text = "x a=1  # c\n y"
    assert tokenize(text, blanks=False) == [
        t for t in tokenize(text) if t.kind not in (K.SPACE, K.COMMENT)
    ]


def test_bracket_end() -> None:
    assert bracket_end("[1, [2]] x", 0) == (8, -1)
    assert bracket_end("x={'a]': 1}", 2) == (11, -1)
    assert bracket_end("[1, [2]", 0) == (7, 0)
    assert bracket_end("[1, '2", 0) == (6, 4)


@pytest.mark.parametrize(
    ("value", "bare"),
    [
        ("a", True),
        ("/x#y", True),
        ("a=b", True),
        ("", False),
        ("a b", False),
        ("it's", False),
        ('"', False),
        ("[1]", False),
        ("{", False),
        ("x[1]", True),
    ],
)
def test_is_bare(value: str, bare: bool) -> None:
    assert is_bare(value) is bare
    if bare:  # and it reads back so
        assert [t.kind for t in tokenize(f"x k={value}")][-1] is K.BARE


def _check(text: str) -> list[Token]:
    """Tokens tile *text*: contiguous, not empty, each its slice of it."""
    out = tokenize(text)
    at = 0
    for token in out:
        assert token.start == at < token.end, (text, token)
        assert token.text == text[token.start : token.end]
        assert (token.word < 0) is (token.kind in (K.SPACE, K.NEWLINE, K.COMMENT))
        assert token.word <= token.start
        at = token.end
    assert at == len(text)
    assert "".join(t.text for t in out) == text
    return out


def test_every_prefix_of_every_example_line() -> None:
    """Every prefix of every line of the QMP examples file, and of each
    request in shorthand, tokenizes and tiles."""
    texts = corpus.PATH.read_text(encoding="utf-8").splitlines()
    texts += [to_shorthand(request) for request in corpus.requests()]
    assert len(texts) > 500
    for text in texts:
        for end in range(len(text) + 1):
            _check(text[:end])


@SETTINGS
@given(st.one_of(TEXT, st.text()))
def test_any_text_tiles(text: str) -> None:
    _check(text)


_NEVER = re.compile(r"(?!)")


@SETTINGS
@given(TEXT)
def test_the_fast_path_is_only_a_shortcut(text: str) -> None:
    """Without the regular expression for common words, the same tokens."""
    fast = tokenize(text)
    simple, tokens._SIMPLE = tokens._SIMPLE, _NEVER
    try:
        assert tokenize(text) == fast
    finally:
        tokens._SIMPLE = simple
