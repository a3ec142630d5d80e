"""Roff escape sequences and request-line splitting (pure functions, no I/O).

``unescape`` turns one line of roff text into plain Unicode text: named glyphs
(``\\(aq``, ``\\[em]``, ``\\[u2014]``) become characters, font changes
(``\\fB``, ``\\f[I]``, ``\\fP``) are dropped, and drawing, size, colour,
register and motion escapes are removed.  Unknown glyph names (and numbered
glyphs that are control characters) become ``?`` and
unknown one-character escapes stand for the character itself, so no input
raises.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

# fmt: off
GLYPHS: dict[str, str] = {
    "aq": "'", "dq": '"', "lq": "\u201c", "rq": "\u201d", "oq": "\u2018",
    "cq": "\u2019", "Bq": "\u201e", "bq": "\u201a", "em": "\u2014",
    "en": "\u2013", "bu": "\u2022", "co": "\u00a9", "rg": "\u00ae",
    "tm": "\u2122", "hy": "-", "mi": "-", "pl": "+", "eq": "=", "ti": "~",
    "ha": "^", "rs": "\\", "sl": "/", "ga": "`", "aa": "\u00b4", "ul": "_",
    "ba": "|", "br": "|", "at": "@", "sh": "#", "Do": "$", "lB": "[",
    "rB": "]", "lC": "{", "rC": "}", "la": "\u27e8", "ra": "\u27e9",
    "Fo": "\u00ab", "Fc": "\u00bb", "fo": "\u2039", "fc": "\u203a",
    "de": "\u00b0", "mu": "\u00d7", "di": "\u00f7", "+-": "\u00b1",
    "<=": "\u2264", ">=": "\u2265", "!=": "\u2260", "==": "\u2261",
    "->": "\u2192", "<-": "\u2190", "<>": "\u2194", "ua": "\u2191",
    "da": "\u2193", "rA": "\u21d2", "lA": "\u21d0", "dg": "\u2020",
    "dd": "\u2021", "ps": "\u00b6", "sc": "\u00a7", "sq": "\u25a1",
    "fm": "\u2032", "sd": "\u2033", "ss": "\u00df", "Eu": "\u20ac",
    "eu": "\u20ac", "Po": "\u00a3", "Ye": "\u00a5", "ct": "\u00a2",
    "OK": "\u2713", "ci": "\u25cb", "**": "*", "hA": "\u21d4", "es": "\u2205",
    "if": "\u221e", "ap": "~", "12": "\u00bd", "14": "\u00bc", "34": "\u00be",
}
# fmt: on
"""Glyph names (``\\(xx`` / ``\\[xx]``) mapped to text."""

STRINGS: dict[str, str] = {
    "lq": "\u201c",
    "rq": "\u201d",
    "R": "\u00ae",
    "Tm": "\u2122",
    "S": "",
}
"""Predefined strings (``\\*X``, ``\\*(XX``, ``\\*[name]``) of man(7)."""

_SIMPLE: dict[str, str] = {
    "-": "-",
    "e": "\\",
    "\\": "\\",
    "E": "\\",
    " ": " ",
    "~": " ",
    "0": " ",
    "_": "_",
    ".": ".",
    "'": "'",
    "`": "`",
    "t": "\t",
    "c": "",
    "&": "",
    "%": "",
    ":": "",
    "|": "",
    "^": "",
    ")": "",
    "/": "",
    ",": "",
    "p": "",
    "r": "",
    "u": "",
    "d": "",
    "a": "",
    "{": "",
    "}": "",
    "!": "",
    "?": "",
    "\n": "",
    "z": "",
}

_ESCAPE = re.compile(
    r"""\\(?:
      \((?P<g2>[^\n]{2})
    | \[(?P<gl>[^\]\n]*)\]
    | [fFmMgkVY](?:\([^\n]{2}|\[[^\]\n]*\]|[^\n])
    | \*(?:\((?P<s2>[^\n]{2})|\[(?P<sl>[^\]\n]*)\]|(?P<s1>[^\n]))
    | n[+-]?(?:\([^\n]{2}|\[[^\]\n]*\]|[^\n])
    | \$(?:\([^\n]{2}|\[[^\]\n]*\]|[^\n])
    | s(?:[+-]?\d\d?|[+-]?\([^\n]{2}|[+-]?\[[^\]\n]*\]|'[^'\n]*')
    | [hvwoblLDXZNRxSABCH](?P<dl>[^\n])(?P<da>.*?)(?P=dl)
    | (?P<c>[^\n]?)
    )""",
    re.VERBOSE,
)
_COMMENT = re.compile(r"^((?:[^\\]|\\[^\"#])*)\\[\"#]")
_GLYPH_NUMBER = re.compile(r"^(?:u|char)([0-9A-Fa-f]{2,6})$")


def glyph(name: str) -> str:
    """Return the text for a named glyph, ``?`` when the name is unknown."""
    if name in GLYPHS:
        return GLYPHS[name]
    found = _GLYPH_NUMBER.match(name)
    if found:
        base = 10 if name.startswith("char") else 16
        try:
            char = chr(int(found.group(1), base))
        except (ValueError, OverflowError):
            return "?"
        # a control character would drive the terminal that shows the text
        return "?" if unicodedata.category(char) in ("Cc", "Cs") else char
    return "?"


def strip_comment(line: str) -> str:
    """Drop a ``\\"`` or ``\\#`` comment (and what follows) from a line."""
    if "\\" not in line or ('\\"' not in line and "\\#" not in line):
        return line
    found = _COMMENT.match(line)
    return found.group(1) if found else line


def _expand(found: re.Match[str], strings: Mapping[str, str]) -> str:
    group = found.lastgroup
    if group == "g2" or group == "gl":
        return glyph(found.group(group))
    if group == "s2" or group == "sl" or group == "s1":
        return strings.get(found.group(group), "")
    if group == "da":
        if found.group(0)[1] == "N":
            return glyph("char" + found.group("da").strip("'"))
        return ""
    if group == "c":
        char = found.group("c")
        return _SIMPLE.get(char, char)
    return ""


_MEMO: dict[str, str] = {}


def _expand_default(found: re.Match[str]) -> str:
    token = found.group(0)
    text = _MEMO.get(token)
    if text is None:
        text = _expand(found, STRINGS)
        if len(_MEMO) < 4096:
            _MEMO[token] = text
    return text


_COMMON: tuple[tuple[str, str], ...] = tuple(
    (token, _ESCAPE.sub(_expand_default, token))
    for token in (r"\fB", r"\fP", r"\fI", r"\fR", r"\-", r"\(dq", r"\(aq", r"\&")
)
"""Frequent escapes replaced with str.replace when no escaped backslash is near
(the result differs from one regex pass only on malformed escapes).

Their replacements hold no backslash, so a later pass cannot misread them."""


def unescape(text: str, strings: Mapping[str, str] | None = None) -> str:
    """Turn roff text into plain text; *strings* adds ``.ds`` definitions."""
    if "\\" not in text:
        return text
    if not strings:
        if "\\\\" not in text and "\\e" not in text:
            for token, replacement in _COMMON:
                if token in text:
                    text = text.replace(token, replacement)
            if "\\" not in text:
                return text
        return _ESCAPE.sub(_expand_default, text)
    table = {**STRINGS, **strings}
    return _ESCAPE.sub(lambda found: _expand(found, table), text)


def split_args(rest: str) -> list[str]:
    """Split a request's argument string as roff does (``"`` quotes, ``""``)."""
    if '"' not in rest and "\\ " not in rest and "\t" not in rest:
        return rest.split()
    args: list[str] = []
    i, size = 0, len(rest)
    while i < size:
        while i < size and rest[i] in " \t":
            i += 1
        if i >= size:
            break
        if rest[i] == '"':
            i += 1
            chars: list[str] = []
            while i < size:
                if rest[i] == '"':
                    if i + 1 < size and rest[i + 1] == '"':
                        chars.append('"')
                        i += 2
                        continue
                    i += 1
                    break
                if rest[i] == "\\" and i + 1 < size:
                    chars.append(rest[i : i + 2])
                    i += 2
                    continue
                chars.append(rest[i])
                i += 1
            args.append("".join(chars))
        else:
            start = i
            while i < size and rest[i] not in " \t":
                i += 2 if rest[i] == "\\" else 1
            args.append(rest[start:i])
    return args
