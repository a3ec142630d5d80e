"""The shorthand's tokens read strictly: words with their values, or errors.

Pure.  `qmpsh.lang.tokens` cuts the text and never fails; this module is
where the strict reading says no.  `read` turns the tokens into the words of
each statement (a bare word, ``transaction(``, ``)``, or a ``key=value``
pair whose value is read: quoted pieces unescaped and joined by
`qmpsh.lang.literal.scan_string`, a ``{...}``/``[...]`` literal parsed by
`qmpsh.lang.literal.parse_literal`, bare text kept for the typer).  The
first problem in text order raises `ParseError` with its offset, or
`NeedMore` when a quote or bracket is still open at the end.
`qmpsh.lang.parser` builds requests from the words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from qmpsh.lang.literal import (
    LiteralError,
    parse_literal,
    quote_bare_words,
    scan_string,
)
from qmpsh.lang.tokens import QUOTES, Kind, Token

_KEY, _BARE, _QUOTED = Kind.KEY, Kind.BARE, Kind.QUOTED
_BRACKETED, _ERROR, _NEWLINE = Kind.BRACKETED, Kind.ERROR, Kind.NEWLINE
_new = tuple.__new__  # a Word without NamedTuple's slower constructor


class ParseError(ValueError):
    """Malformed input; `offset` indexes the text given to `parse`."""

    def __init__(self, message: str, offset: int, text: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.line = text.count("\n", 0, offset) + 1
        self.column = offset - (text.rfind("\n", 0, offset) + 1) + 1

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.message}"


class NeedMore(Exception):
    def __init__(self, what: str, offset: int) -> None:
        self.what = what
        self.offset = offset


class Word(NamedTuple):
    start: int
    end: int
    raw: str
    #: the kind of its first token: NAME, ACTION, OPEN, CLOSE, KEY, WORD...
    kind: Kind
    #: for ``key=value`` words: the key and the value
    key: str | None = None
    value: Any = None
    #: bare scalar text still to be typed, when the value was unquoted
    bare: str | None = None


def read(text: str, tokens: Sequence[Token]) -> list[list[Word]]:
    """The words of each statement that has any, values read."""
    out: list[list[Word]] = []
    line: list[Word] = []
    at, n = 0, len(tokens)
    while at < n:
        token = tokens[at]
        word = token.word
        if word < 0:
            if token.kind is _NEWLINE and line:
                out.append(line)
                line = []
            at += 1
            continue
        end = at + 1
        while end < n and tokens[end].word == word:
            end += 1
        line.append(_word(text, tokens, at, end))
        at = end
    if line:
        out.append(line)
    return out


def check_closed(text: str, token: Token) -> None:
    """Raise `NeedMore` if *token* (quoted or bracketed) is still open."""
    if token.open_at >= 0:
        what = "quote" if text[token.open_at] in QUOTES else "bracket"
        raise NeedMore(what, token.open_at)


def _word(text: str, tokens: Sequence[Token], at: int, stop: int) -> Word:
    """The word of ``tokens[at:stop]``."""
    first = tokens[at]
    start, end = first.start, tokens[stop - 1].end
    kind = first.kind
    if kind is _KEY:
        value_kind = tokens[at + 2].kind if stop - at == 3 else None
        if value_kind is _BARE:  # the common cases first
            value: Any = tokens[at + 2].text
            bare: str | None = value
        elif value_kind is _QUOTED:
            value, bare = _unquote(text, tokens[at + 2]), None
        else:
            value, bare = _value(text, tokens[at + 2 : stop], first.text)
        return _new(Word, (start, end, text[start:end], kind, first.text, value, bare))
    if kind is _ERROR:
        raise ParseError("a name is missing before '='", start, text)
    if stop - at > 1 or kind is _QUOTED or kind is _BRACKETED:
        _value(text, tokens[at:stop])  # a word that is not key=value: still checked
    return _new(Word, (start, end, text[start:end], kind, None, None, None))


def _value(text: str, tokens: Sequence[Token], key: str = "") -> tuple[Any, str | None]:
    """The value of *tokens* (of *key*), and its bare text when unquoted."""
    if not tokens:
        return "", ""
    first = tokens[0]
    if first.kind is _BRACKETED:
        check_closed(text, first)
        if len(tokens) > 1:  # glued to the closing bracket
            where = tokens[1].start
            raise ParseError(
                f"unexpected {text[where]!r} after the closing {text[where - 1]!r}",
                where,
                text,
            )
        try:
            return parse_literal(first.text), None
        except LiteralError as err:
            raise ParseError(
                f"bad JSON value: {err.message}{_literal_hint(first.text, key)}",
                first.start + err.offset,
                text,
            ) from None
    if len(tokens) == 1 and first.kind is _QUOTED:
        return _unquote(text, first), None
    parts: list[str] = []
    quoted = False
    for token in tokens:
        if token.kind is _QUOTED:
            quoted = True
            parts.append(_unquote(text, token))
        else:
            parts.append(token.text)
    value = "".join(parts)
    return value, (None if quoted else value)


def _literal_hint(literal: str, key: str) -> str:
    """What a literal that does not parse probably meant: its bare words
    quoted (``devices=[disk0]``: ``devices=["disk0"]``), when that parses;
    else the whole value quoted, to send it as a string."""
    fixed = quote_bare_words(literal)
    if fixed is None:
        return " (quote the value to send it as a string)"
    return f"; did you mean {key}={fixed}?" if key else f"; did you mean {fixed}?"


def _unquote(text: str, token: Token) -> str:
    try:
        return scan_string(text, token.start)[0]
    except LiteralError as err:
        if err.offset >= len(text):
            raise NeedMore("quote", token.start) from None
        raise ParseError(err.message, err.offset, text) from None
