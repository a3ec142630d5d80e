"""The shorthand's words: a line (or several) cut into words, with positions.

Pure.  A word is a bare word (a command name, ``transaction(``, ``)``) or a
``key=value`` pair whose value is already read: quoted text joined and
unescaped, or a ``{...}``/``[...]`` literal parsed.  Newlines end a statement
except inside quotes and brackets; `NeedMore` says something is still open.
`qmpsh.lang.parser` builds requests from the words.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from qmpsh.lang.literal import LiteralError, parse_literal, scan_string

_WS = " \t\r\n"


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
    #: for ``key=value`` words: the key, where the value starts, the value
    key: str | None = None
    value_start: int = 0
    value: Any = None
    #: bare scalar text still to be typed, when the value was unquoted
    bare: str | None = None


def skip_blank(text: str, pos: int) -> int:
    """Skip whitespace, newlines and comments."""
    n = len(text)
    while pos < n:
        ch = text[pos]
        if ch in _WS:
            pos += 1
        elif ch == "#":
            nl = text.find("\n", pos)
            pos = n if nl < 0 else nl
        else:
            break
    return pos


def split_statements(text: str, pos: int) -> list[list[Word]]:
    """Words grouped by line; newlines inside quotes or brackets don't count."""
    out: list[list[Word]] = []
    current: list[Word] = []
    n = len(text)
    while pos < n:
        ch = text[pos]
        if ch == "\n":
            if current:
                out.append(current)
                current = []
            pos += 1
        elif ch in _WS:
            pos += 1
        elif ch == "#":
            nl = text.find("\n", pos)
            pos = n if nl < 0 else nl
        else:
            word = scan_word(text, pos)
            current.append(word)
            pos = word.end
    if current:
        out.append(current)
    return out


def scan_word(text: str, pos: int) -> Word:
    n = len(text)
    i = pos
    while i < n and text[i] not in _WS and text[i] not in "=\"'":
        i += 1
    if i < n and text[i] == "=":
        key = text[pos:i]
        if not key:
            raise ParseError("a name is missing before '='", pos, text)
        value, bare, end = scan_value(text, i + 1)
        return Word(pos, end, text[pos:end], key, i + 1, value, bare)
    if i < n and text[i] in "\"'":
        _, _, end = scan_value(text, pos)  # a quoted stray word
        return Word(pos, end, text[pos:end])
    return Word(pos, i, text[pos:i])


def scan_value(text: str, pos: int) -> tuple[Any, str | None, int]:
    """Scan a value; return (value, bare text or None, end)."""
    n = len(text)
    if pos < n and text[pos] in "{[":
        end = match_brackets(text, pos)
        # a ``)`` may follow: it is a word of its own (closing a transaction)
        if end < n and text[end] not in _WS and text[end] != ")":
            raise ParseError(
                f"unexpected {text[end]!r} after the closing {text[end - 1]!r}",
                end,
                text,
            )
        try:
            return parse_literal(text[pos:end]), None, end
        except LiteralError as err:
            raise ParseError(
                f"bad JSON value: {err.message} (quote the value to send it "
                "as a string)",
                pos + err.offset,
                text,
            ) from None
    parts: list[str] = []
    quoted = False
    i = pos
    while i < n and text[i] not in _WS:
        if text[i] in "\"'":
            quoted = True
            try:
                part, i = scan_string(text, i)
            except LiteralError as err:
                if err.offset >= n:
                    raise NeedMore("quote", i) from None
                raise ParseError(err.message, err.offset, text) from None
            parts.append(part)
        else:
            j = i
            while j < n and text[j] not in _WS and text[j] not in "\"'":
                j += 1
            parts.append(text[i:j])
            i = j
    value = "".join(parts)
    return value, (None if quoted else value), i


def match_brackets(text: str, pos: int) -> int:
    """The end of the bracketed span opening at *pos* (quotes respected)."""
    depth = 0
    i = pos
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth == 0:
                return i + 1
        elif ch in "\"'":
            j = i + 1
            while j < n and text[j] != ch:
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                raise NeedMore("quote", i)
            i = j
        i += 1
    raise NeedMore("bracket", pos)
