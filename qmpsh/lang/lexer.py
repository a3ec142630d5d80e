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
- what surrounds the command (`qmpsh.lang.anatomy`): a leading ``!``:
  ``Operator``; ``NAME = COMMAND ...`` (a variable bound to a reply):
  ``Name.Variable``, ``Operator``; ``alias NAME = COMMAND ...``: the
  built-in, ``Name.Function``, ``Operator``; a sink's ``|``, ``>`` or
  ``>>``: ``Operator``, and its shell command or file name ``Text``
  (``@TARGET`` is the caller's: see `qmpsh.shell.state.Shell.at_prefix`);
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

from qmpsh.lang.anatomy import Anatomy, anatomy
from qmpsh.lang.literal import parse_number
from qmpsh.lang.sink import Sink
from qmpsh.lang.tokens import QUOTES, WHITESPACE, Kind, quote_end, tokenize

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
    """The line's parts (`qmpsh.lang.anatomy`) in turn: what surrounds the
    command, then the command's own tokens."""
    parts = anatomy(text, targets=False)
    at = 0
    for start, token, piece in _surrounding(lexer, parts):
        if start > at:
            yield at, Whitespace, text[at:start]
        yield start, token, piece
        at = start + len(piece)
    start, end = parts.command
    if start > at:
        yield at, Whitespace, text[at:start]
    yield from _command(lexer, text[start:end], start)
    if parts.sink is not None:
        yield from _sink(text, end, parts.sink)


def _surrounding(lexer: ShorthandLexer, parts: Anatomy) -> Iterator[Item]:
    """The ``!``, then ``alias NAME =`` or ``NAME =`` (what comes before
    the command)."""
    text = parts.text
    if parts.force is not None:
        yield parts.force.start, Operator, text[slice(*parts.force)]
    if parts.alias is not None:
        keyword = text[parts.alias.start : parts.alias.name.start].rstrip()
        yield parts.alias.start, lexer.command_token(keyword), keyword
        yield parts.alias.name.start, Name.Function, text[slice(*parts.alias.name)]
        yield parts.alias.equals, Operator, "="
    elif parts.assign is not None:
        yield parts.assign.name.start, Name.Variable, text[slice(*parts.assign.name)]
        yield parts.assign.equals, Operator, "="


def _sink(text: str, end: int, sink: Sink) -> Iterator[Item]:
    """What follows the command (*end*: where it ends): blanks, and the
    sink's operator and target."""
    if sink.offset > end:
        yield end, Whitespace, text[end : sink.offset]
    yield sink.offset, Operator, sink.kind
    at = sink.offset + len(sink.kind)
    lead = len(text) - len(text[at:].lstrip())
    if lead > at:
        yield at, Whitespace, text[at:lead]
    if lead < len(text):
        yield lead, Text, text[lead:]


def _command(lexer: ShorthandLexer, text: str, offset: int) -> Iterator[Item]:
    """The command *text*, found at *offset* of the line."""
    tokens = tokenize(text)
    last = len(tokens) - 1
    for i, tok in enumerate(tokens):
        kind = tok.kind
        start = offset + tok.start
        if kind is _BARE:
            whole = tokens[i - 1].kind is _EQUALS and (
                i == last or tokens[i + 1].word != tok.word
            )
            yield start, _bare_token(tok.text) if whole else String.Other, tok.text
        elif kind is _NAME:
            yield start, lexer.command_token(tok.text), tok.text
        elif kind is _QUOTED:
            yield start, _string_token(tok.text), tok.text
        elif kind is _BRACKETED or kind is _JSON:
            yield from _literal(start, tok.text)
        else:
            yield start, _PLAIN[kind], tok.text


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
