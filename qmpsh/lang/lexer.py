"""A pygments lexer for the shorthand input (``command key=value ...``).

It maps the kinds of `qmpsh.lang.tokens.tokenize` to pygments token types,
so it reads words exactly as the parser does and, like the tokenizer, never
fails: half typed input (an open quote, bracket or transaction) lexes as far
as it goes.  Tokens:

- the command name: ``Name.Function``; when the lexer was given the list of
  known commands (option ``commands``), an unknown name is
  ``Generic.Error``; a shell built-in (option ``builtins``) is
  ``Name.Builtin``; an action's name in a transaction is ``Name.Function``;
  ``transaction(`` and its ``)`` are ``Keyword``;
- ``key``: ``Name.Attribute``, ``=``: ``Operator``;
- values: quoted strings ``String.Double``/``String.Single``, bare words
  ``String.Other``, numbers ``Number.Integer``/``Number.Float``, ``true``,
  ``false``, ``null`` (and Python's spellings in brackets)
  ``Keyword.Constant``; inside ``{}``/``[]`` (and on a raw JSON line) object
  keys are ``Name.Tag`` and ``{}[]:,`` are ``Punctuation``;
- ``NAME = COMMAND ...`` (a variable bound to a reply): ``Name.Variable``,
  ``Operator``, then the command name as above;
- ``# comments``: ``Comment.Single``; a word that is not ``key=value`` where
  one is expected, or what the parser refuses outright: ``Text``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from typing import Any

from pygments.lexer import Lexer
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
    _TokenType,
)

from qmpsh.lang.literal import parse_number
from qmpsh.lang.tokens import QUOTES, WHITESPACE, Kind, Token, quote_end, tokenize

Item = tuple[int, _TokenType, str]

_PUNCTUATION = "{}[]:,"
_CONSTANTS = frozenset({"true", "false", "null", "True", "False", "None"})
_LITERAL_WORD = re.compile(r"[^\s{}\[\]:,\"'#]+")
_BARE_BOOL = frozenset({"true", "false"})


class ShorthandLexer(Lexer):
    """Options: ``commands`` (known command names, or None for "unknown
    yet": every name is then a plain command) and ``builtins``."""

    name = "qmpsh shorthand"
    aliases = ("qmpsh",)

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        commands = options.get("commands")
        self.commands: frozenset[str] | None = (
            frozenset(commands) if commands is not None else None
        )
        self.builtins: frozenset[str] = frozenset(options.get("builtins") or ())

    def command_token(self, name: str) -> _TokenType:
        if name in self.builtins:
            return Name.Builtin
        if self.commands is None or name in self.commands:
            return Name.Function
        return Generic.Error

    def get_tokens_unprocessed(self, text: str) -> Iterator[Item]:
        return _items(self, text)


def lex(
    text: str,
    commands: Collection[str] | None = None,
    builtins: Collection[str] = (),
) -> list[tuple[_TokenType, str]]:
    """(token, text) pairs for *text*: the pieces cover it exactly."""
    lexer = ShorthandLexer(commands=commands, builtins=builtins)
    return [(tok, val) for _, tok, val in lexer.get_tokens_unprocessed(text)]


_BARE, _NAME, _QUOTED = Kind.BARE, Kind.NAME, Kind.QUOTED
_EQUALS, _BRACKETED, _JSON = Kind.EQUALS, Kind.BRACKETED, Kind.JSON
_PLAIN: dict[Kind, _TokenType] = {
    Kind.ACTION: Name.Function,
    Kind.OPEN: Keyword,
    Kind.CLOSE: Keyword,
    Kind.KEY: Name.Attribute,
    Kind.EQUALS: Operator,
    Kind.WORD: Text,
    Kind.ERROR: Text,
    Kind.COMMENT: Comment.Single,
    Kind.SPACE: Whitespace,
    Kind.NEWLINE: Whitespace,
}


def _items(lexer: ShorthandLexer, text: str) -> Iterator[Item]:
    tokens = tokenize(text)
    last = len(tokens) - 1
    assigned = _assignment(tokens)
    for i, tok in enumerate(tokens):
        kind = tok.kind
        if i < assigned:
            if kind is _NAME:
                yield tok.start, Name.Variable, tok.text
            elif kind is Kind.ERROR:
                yield tok.start, Operator, tok.text
            elif kind is Kind.WORD:
                yield tok.start, lexer.command_token(tok.text), tok.text
            else:
                yield tok.start, _PLAIN[kind], tok.text
        elif kind is _BARE:
            whole = tokens[i - 1].kind is _EQUALS and (
                i == last or tokens[i + 1].word != tok.word
            )
            yield tok.start, _bare_token(tok.text) if whole else String.Other, tok.text
        elif kind is _NAME:
            yield tok.start, lexer.command_token(tok.text), tok.text
        elif kind is _QUOTED:
            yield tok.start, _string_token(tok.text), tok.text
        elif kind is _BRACKETED or kind is _JSON:
            yield from _literal(tok.start, tok.text)
        else:
            yield tok.start, _PLAIN[kind], tok.text


def _assignment(tokens: list[Token]) -> int:
    """For ``NAME = COMMAND ...`` (`qmpsh.lang.variables`): the index of the
    token after the command's name; else 0."""
    words = [i for i, t in enumerate(tokens) if t.word >= 0][:3]
    if len(words) < 2:
        return 0
    name, equals = tokens[words[0]], tokens[words[1]]
    if name.kind is not _NAME or equals.kind is not Kind.ERROR or equals.text != "=":
        return 0
    if len(words) < 3:
        return words[1] + 1
    command = tokens[words[2]]
    return words[2] + 1 if command.kind is Kind.WORD else words[2]


def _string_token(text: str) -> _TokenType:
    return String.Double if text[0] == '"' else String.Single


def _literal(offset: int, text: str) -> Iterator[Item]:
    """A JSON-or-Python value in brackets (*text*, found at *offset*)."""
    pos, n = 0, len(text)
    while pos < n:
        ch = text[pos]
        if ch in _PUNCTUATION:
            yield offset + pos, Punctuation, ch
            pos += 1
        elif ch in WHITESPACE:
            end = pos + 1
            while end < n and text[end] in WHITESPACE:
                end += 1
            yield offset + pos, Whitespace, text[pos:end]
            pos = end
        elif ch in QUOTES:
            end = quote_end(text, pos)
            end = n if end < 0 else end
            after = end
            while after < n and text[after] in WHITESPACE:
                after += 1
            token = Name.Tag if text[after : after + 1] == ":" else _string_token(ch)
            yield offset + pos, token, text[pos:end]
            pos = end
        else:
            match = _LITERAL_WORD.match(text, pos)
            end = match.end() if match else pos + 1
            word = text[pos:end]
            if word in _CONSTANTS:
                token = Keyword.Constant
            elif parse_number(word) is not None:
                token = (
                    Number.Float if any(c in word for c in ".eE") else Number.Integer
                )
            else:
                token = Text
            yield offset + pos, token, word
            pos = end


def _bare_token(word: str) -> _TokenType:
    """How the default typer reads a bare value (see `parser.default_typer`)."""
    if word[:1] in "-0123456789" and parse_number(word) is not None:
        return Number.Float if any(c in word for c in ".eE") else Number.Integer
    if word.lower() in _BARE_BOOL or word == "null":
        return Keyword.Constant
    return String.Other
