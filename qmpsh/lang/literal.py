"""Structured values typed inside ``{}`` and ``[]``: JSON, and Python's spelling.

Pure and iterative (an explicit stack, no recursion), so that a value nested a
million levels deep gives a `LiteralError` rather than a `RecursionError`, and
no ``eval`` is ever involved.  Accepted beyond strict JSON, as qmp-shell did:
single-quoted strings, ``True``/``False``/``None``, and trailing commas.
"""

from __future__ import annotations

import json
import re
from typing import Any

from qmpsh.core.deepjson import MAX_DEPTH
from qmpsh.lang.tokens import QUOTES, WHITESPACE

_INF = float("inf")
#: the longest integer typed, in digits: Python's own default limit, held
#: here because qmpsh raises the process's limit to read long integers in
#: replies (`qmpsh.wire.jsonread`)
INT_DIGITS = 4300
_NUMBER_RE = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_WORDS: dict[str, object] = {
    "true": True,
    "false": False,
    "null": None,
    "True": True,
    "False": False,
    "None": None,
}
#: words meant as numbers JSON has no spelling for (not quoted by a hint)
_NOT_NUMBERS = frozenset({"NaN", "Infinity", "-Infinity", "inf", "-inf", "nan"})
#: what ends a bare word inside a literal (``true``, ``12``)
_ATOM_ENDS = WHITESPACE + QUOTES + ",:{}[]"
#: the run of a quoted string up to its closing quote or an escape
_PLAIN = {q: re.compile(f"[^{re.escape(q)}\\\\]*") for q in QUOTES}
_JSON_ESCAPES = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}


class LiteralError(ValueError):
    """A malformed value; `offset` is where, counted from the value's start."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def parse_number(text: str) -> int | float | None:
    """The number *text* spells in JSON's grammar, or None."""
    if not _NUMBER_RE.fullmatch(text):
        return None
    try:
        if any(c in text for c in ".eE"):
            value = float(text)
            return value if value not in (_INF, -_INF) else None
        return _int(text)
    except ValueError:  # more digits than `INT_DIGITS`
        return None


def parse_literal(text: str) -> Any:
    """Parse a whole JSON-or-Python value from *text*."""
    try:
        return _DECODER.decode(text)
    except (ValueError, RecursionError):
        pass  # the scanner below gives the error a position, or accepts Python

    value, end = _Scanner(text).value(0)
    end = _skip_ws(text, end)
    if end != len(text):
        raise LiteralError(f"unexpected {_show(text, end)} after the value", end)
    return value


def quote_bare_words(text: str) -> str | None:
    """*text* (a ``{...}``/``[...]`` literal that does not parse) with each
    bare word that is no JSON value quoted, when that makes it parse
    (``[disk0]``: ``["disk0"]``; ``{id:x}``: ``{"id":"x"}``); else None.

    For the hint of a parse error: quoting the whole value would send the
    string ``"[disk0]"``, which is rarely what was meant."""
    out: list[str] = []
    i, n, changed = 0, len(text), False
    while i < n:
        char = text[i]
        if char in QUOTES:
            try:
                _, end = scan_string(text, i)
            except LiteralError:
                return None
        elif char in _ATOM_ENDS:
            end = i + 1
        else:
            end = i
            while end < n and text[end] not in _ATOM_ENDS:
                end += 1
            word = text[i:end]
            if not (
                word in _WORDS or word in _NOT_NUMBERS or _NUMBER_RE.fullmatch(word)
            ):
                out.append(json.dumps(word, ensure_ascii=False))
                i, changed = end, True
                continue
        out.append(text[i:end])
        i = end
    if not changed:
        return None
    fixed = "".join(out)
    try:
        parse_literal(fixed)
    except LiteralError:
        return None
    return fixed


def _refuse(word: str) -> Any:
    raise ValueError(word)


def _int(word: str) -> int:
    """An integer of up to `INT_DIGITS` digits."""
    if len(word) - word.startswith("-") > INT_DIGITS:
        raise ValueError(word)
    return int(word)


def _finite(word: str) -> float:
    """A float, but not the infinity ``json`` makes of ``1e400``."""
    value = float(word)
    if value in (_INF, -_INF):
        raise ValueError(word)
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("duplicate key")
    return out


#: strict JSON first (quick, in C); one decoder, made once
_DECODER = json.JSONDecoder(
    parse_constant=_refuse,
    parse_float=_finite,
    parse_int=_int,
    object_pairs_hook=_unique_keys,
)


def scan_string(text: str, pos: int) -> tuple[str, int]:
    """Read a quoted string starting at ``text[pos]``; return it and the end.

    Double quotes use JSON's escapes; single quotes take ``\\'`` and the same
    escapes.  Raises `LiteralError` with ``offset == len(text)`` when the
    string is not closed, so callers can ask for more input.
    """
    quote = text[pos]
    plain = _PLAIN[quote]
    i = pos + 1
    out: list[str] = []
    n = len(text)
    while True:
        j = plain.match(text, i).end()  # type: ignore[union-attr]
        out.append(text[i:j])
        if j >= n:
            raise LiteralError(f"unterminated string (missing {quote})", n)
        if text[j] == quote:
            return "".join(out), j + 1
        # a backslash escape
        if j + 1 >= n:
            raise LiteralError(f"unterminated string (missing {quote})", n)
        esc = text[j + 1]
        if esc in _JSON_ESCAPES:
            out.append(_JSON_ESCAPES[esc])
            i = j + 2
        elif esc == "'":
            out.append("'")
            i = j + 2
        elif esc == "u":
            code, i = _unicode_escape(text, j)
            out.append(code)
        else:
            raise LiteralError(
                f"unknown escape '\\{_printable(esc)}' in a string "
                "(use \\\\ for a backslash, or single quotes)",
                j,
            )


def _printable(char: str) -> str:
    """*char* as is, or escaped when it would not show (a newline, say)."""
    return char if char.isprintable() else repr(char)[1:-1]


def _unicode_escape(text: str, j: int) -> tuple[str, int]:
    digits = text[j + 2 : j + 6]
    if len(digits) < 4 or not all(c in "0123456789abcdefABCDEF" for c in digits):
        raise LiteralError("'\\u' must be followed by four hex digits", j)
    code = int(digits, 16)
    end = j + 6
    if 0xD800 <= code < 0xDC00 and text[end : end + 2] == "\\u":
        low = text[end + 2 : end + 6]
        if len(low) == 4 and all(c in "0123456789abcdefABCDEF" for c in low):
            lo = int(low, 16)
            if 0xDC00 <= lo < 0xE000:
                return chr(0x10000 + ((code - 0xD800) << 10) + (lo - 0xDC00)), end + 6
    return chr(code), end


def _skip_ws(text: str, pos: int) -> int:
    n = len(text)
    while pos < n and text[pos] in WHITESPACE:
        pos += 1
    return pos


def clip(text: str, limit: int = 40) -> str:
    """*text* quoted for an error message, shortened when long."""
    if len(text) > limit:
        return repr(text[:limit]) + "..."
    return repr(text)


def _show(text: str, pos: int) -> str:
    if pos >= len(text):
        return "end of value"
    return repr(text[pos])


class _Frame:
    __slots__ = ("container", "key", "start")

    def __init__(self, container: dict[str, Any] | list[Any], start: int) -> None:
        self.container = container
        self.key: str | None = None
        self.start = start


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text

    def value(self, pos: int) -> tuple[Any, int]:
        text = self.text
        stack: list[_Frame] = []
        while True:
            pos = _skip_ws(text, pos)
            if pos >= len(text):
                raise LiteralError("value expected, found end of value", pos)
            ch = text[pos]
            value: Any
            if ch in "{[":
                if len(stack) >= MAX_DEPTH:
                    raise LiteralError(
                        f"value nested deeper than {MAX_DEPTH} levels", pos
                    )
                container: dict[str, Any] | list[Any] = {} if ch == "{" else []
                stack.append(_Frame(container, pos))
                pos = _skip_ws(text, pos + 1)
                close = "}" if ch == "{" else "]"
                if pos < len(text) and text[pos] == close:
                    stack.pop()
                    value, pos = container, pos + 1
                elif ch == "{":
                    pos = self._key(stack[-1], pos)
                    continue
                else:
                    continue
            elif ch in "\"'":
                value, pos = scan_string(text, pos)
            else:
                value, pos = self._atom(pos)
            # attach the finished value to its parent, closing parents as needed
            while True:
                if not stack:
                    return value, pos
                frame = stack[-1]
                if isinstance(frame.container, dict):
                    assert frame.key is not None
                    if frame.key in frame.container:
                        raise LiteralError(
                            f"key {frame.key!r} appears twice in one object",
                            frame.start,
                        )
                    frame.container[frame.key] = value
                else:
                    frame.container.append(value)
                close = "}" if isinstance(frame.container, dict) else "]"
                pos = _skip_ws(text, pos)
                if pos < len(text) and text[pos] == ",":
                    pos = _skip_ws(text, pos + 1)
                    if pos < len(text) and text[pos] == close:  # trailing comma
                        stack.pop()
                        value, pos = frame.container, pos + 1
                        continue
                    if isinstance(frame.container, dict):
                        pos = self._key(frame, pos)
                    break
                if pos < len(text) and text[pos] == close:
                    stack.pop()
                    value, pos = frame.container, pos + 1
                    continue
                raise LiteralError(
                    f"expected ',' or '{close}', found {_show(text, pos)}", pos
                )

    def _key(self, frame: _Frame, pos: int) -> int:
        text = self.text
        pos = _skip_ws(text, pos)
        if pos >= len(text) or text[pos] not in "\"'":
            raise LiteralError(f"expected a quoted key, found {_show(text, pos)}", pos)
        frame.key, pos = scan_string(text, pos)
        pos = _skip_ws(text, pos)
        if pos >= len(text) or text[pos] != ":":
            raise LiteralError(
                f"expected ':' after a key, found {_show(text, pos)}", pos
            )
        return pos + 1

    def _atom(self, pos: int) -> tuple[Any, int]:
        text = self.text
        end = pos
        while end < len(text) and text[end] not in _ATOM_ENDS:
            end += 1
        word = text[pos:end]
        if word in _WORDS:
            return _WORDS[word], end
        number = parse_number(word)
        if number is not None:
            return number, end
        if not word:
            raise LiteralError(f"value expected, found {_show(text, pos)}", pos)
        if _NUMBER_RE.fullmatch(word):
            raise LiteralError(
                f"{clip(word)} is out of range for a number: the largest is "
                "about 1.8e308",
                pos,
            )
        raise LiteralError(
            f"{clip(word)} is not a value (strings need quotes inside {{}} and [])",
            pos,
        )
