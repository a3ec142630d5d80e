"""A pygments lexer for the shorthand input (``command key=value ...``).

It follows the parser's word rules (`qmpsh.lang.parser`) but never fails: half
typed input (an open quote, bracket or transaction) lexes as far as it goes.
Tokens:

- the command name: ``Name.Function``; when the lexer was given the list of
  known commands (option ``commands``), an unknown name is
  ``Generic.Error``; a shell built-in (option ``builtins``) is
  ``Name.Builtin``; ``transaction(`` and its ``)`` are ``Keyword``;
- ``key``: ``Name.Attribute``, ``=``: ``Operator``;
- values: quoted strings ``String.Double``/``String.Single``, bare words
  ``String.Other``, numbers ``Number.Integer``/``Number.Float``, ``true``,
  ``false``, ``null`` (and Python's spellings in brackets)
  ``Keyword.Constant``; inside ``{}``/``[]`` (and on a raw JSON line) object
  keys are ``Name.Tag`` and ``{}[]:,`` are ``Punctuation``;
- ``# comments``: ``Comment.Single``; a word that is not ``key=value`` where
  one is expected: ``Text``.
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
from qmpsh.lang.parser import TRANSACTION_CLOSE, TRANSACTION_OPEN

Item = tuple[int, _TokenType, str]

_WS = " \t\r\n"
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
        return _Scan(self, text).run()


def lex(
    text: str,
    commands: Collection[str] | None = None,
    builtins: Collection[str] = (),
) -> list[tuple[_TokenType, str]]:
    """(token, text) pairs for *text*: the pieces cover it exactly."""
    lexer = ShorthandLexer(commands=commands, builtins=builtins)
    return [(tok, val) for _, tok, val in lexer.get_tokens_unprocessed(text)]


class _Scan:
    def __init__(self, lexer: ShorthandLexer, text: str) -> None:
        self.lexer = lexer
        self.text = text
        self.n = len(text)
        self.pos = 0

    def run(self) -> Iterator[Item]:
        text = self.text
        yield from self._blank()
        if self.pos < self.n and text[self.pos] == "{":
            yield from self._literal(raw=True)
            yield from self._rest_as_text()
            return
        statement_start = True
        transaction = False
        while self.pos < self.n:
            ch = text[self.pos]
            if ch == "\n":
                yield self.pos, Whitespace, ch
                self.pos += 1
                statement_start = True
            elif ch in _WS:
                yield from self._spaces()
            elif ch == "#":
                yield from self._comment()
            elif statement_start:
                word_end = self._word_end(self.pos)
                word = text[self.pos : word_end]
                if "=" in word or word[:1] in "\"'":
                    yield from self._argument()
                elif word == TRANSACTION_OPEN:
                    yield self.pos, Keyword, word
                    self.pos = word_end
                    transaction = True
                    continue  # the next word, even on this line, is an action
                elif transaction and word == TRANSACTION_CLOSE:
                    yield self.pos, Keyword, word
                    self.pos = word_end
                    transaction = False
                else:
                    token = (
                        Name.Function if transaction else self.lexer.command_token(word)
                    )
                    yield self.pos, token, word
                    self.pos = word_end
                statement_start = False
            elif (
                transaction
                and text.startswith(TRANSACTION_CLOSE, self.pos)
                and (self._word_end(self.pos) == self.pos + 1)
            ):
                yield self.pos, Keyword, TRANSACTION_CLOSE
                self.pos += 1
                transaction = False
            else:
                yield from self._argument()

    # -- pieces ------------------------------------------------------------

    def _word_end(self, pos: int) -> int:
        while pos < self.n and self.text[pos] not in _WS:
            pos += 1
        return pos

    def _blank(self) -> Iterator[Item]:
        while self.pos < self.n:
            ch = self.text[self.pos]
            if ch in _WS:
                yield from self._spaces()
            elif ch == "#":
                yield from self._comment()
            else:
                return

    def _spaces(self) -> Iterator[Item]:
        start = self.pos
        while self.pos < self.n and self.text[self.pos] in _WS:
            self.pos += 1
        yield start, Whitespace, self.text[start : self.pos]

    def _comment(self) -> Iterator[Item]:
        start = self.pos
        end = self.text.find("\n", start)
        self.pos = self.n if end < 0 else end
        yield start, Comment.Single, self.text[start : self.pos]

    def _rest_as_text(self) -> Iterator[Item]:
        while self.pos < self.n:
            if self.text[self.pos] in _WS:
                yield from self._spaces()
            elif self.text[self.pos] == "#":
                yield from self._comment()
            else:
                end = self._word_end(self.pos)
                yield self.pos, Text, self.text[self.pos : end]
                self.pos = end

    def _argument(self) -> Iterator[Item]:
        text = self.text
        start = self.pos
        i = start
        while i < self.n and text[i] not in _WS and text[i] not in "=\"'":
            i += 1
        if i < self.n and text[i] == "=" and i > start:
            yield start, Name.Attribute, text[start:i]
            yield i, Operator, "="
            self.pos = i + 1
            yield from self._value()
        elif i < self.n and text[i] in "\"'" and i == start:
            yield from self._string(String.Double if text[i] == '"' else String.Single)
        else:
            end = self._word_end(start)
            yield start, Text, text[start:end]
            self.pos = end

    def _value(self) -> Iterator[Item]:
        text = self.text
        if self.pos < self.n and text[self.pos] in "{[":
            yield from self._literal(raw=False)
            return
        start = self.pos
        pieces: list[Item] = []
        quoted = False
        while self.pos < self.n and text[self.pos] not in _WS:
            ch = text[self.pos]
            if ch in "\"'":
                quoted = True
                pieces.extend(
                    self._string(String.Double if ch == '"' else String.Single)
                )
            else:
                j = self.pos
                while j < self.n and text[j] not in _WS and text[j] not in "\"'":
                    j += 1
                pieces.append((self.pos, String.Other, text[self.pos : j]))
                self.pos = j
        if not quoted and pieces:
            word = text[start : self.pos]
            yield start, _bare_token(word), word
            return
        yield from pieces

    def _string(self, token: _TokenType) -> Iterator[Item]:
        text = self.text
        start = self.pos
        quote = text[start]
        i = start + 1
        while i < self.n and text[i] != quote:
            i += 2 if text[i] == "\\" else 1
        self.pos = min(i + 1, self.n)
        yield start, token, text[start : self.pos]

    def _literal(self, raw: bool) -> Iterator[Item]:
        """A JSON-or-Python value in brackets, up to its closing bracket."""
        text = self.text
        depth = 0
        while self.pos < self.n:
            ch = text[self.pos]
            if ch in "{[":
                depth += 1
                yield self.pos, Punctuation, ch
                self.pos += 1
            elif ch in "}]":
                depth -= 1
                yield self.pos, Punctuation, ch
                self.pos += 1
                if depth <= 0:
                    return
            elif ch in ":,":
                yield self.pos, Punctuation, ch
                self.pos += 1
            elif ch in _WS:
                yield from self._spaces()
            elif ch in "\"'":
                token = String.Double if ch == '"' else String.Single
                start = self.pos
                piece = list(self._string(token))
                after = self.pos
                while after < self.n and text[after] in _WS:
                    after += 1
                if after < self.n and text[after] == ":":
                    piece = [(start, Name.Tag, text[start : self.pos])]
                yield from piece
            elif ch == "#" and raw:
                yield from self._comment()
            else:
                match = _LITERAL_WORD.match(text, self.pos)
                end = match.end() if match else self.pos + 1
                word = text[self.pos : end]
                if word in _CONSTANTS:
                    token = Keyword.Constant
                elif parse_number(word) is not None:
                    token = (
                        Number.Float
                        if any(c in word for c in ".eE")
                        else Number.Integer
                    )
                else:
                    token = Text
                yield self.pos, token, word
                self.pos = end


def _bare_token(word: str) -> _TokenType:
    """How the default typer reads a bare value (see `parser.default_typer`)."""
    if word[:1] in "-0123456789" and parse_number(word) is not None:
        return Number.Float if any(c in word for c in ".eE") else Number.Integer
    if word.lower() in _BARE_BOOL or word == "null":
        return Keyword.Constant
    return String.Other
