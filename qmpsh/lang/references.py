"""Where a line refers to a variable: ``$NAME``, ``${NAME}``,
``${NAME.path[0].x}``, ``${NAME | jmespath}``, and ``\\$`` (a literal
``$``).  Pure.

`find_references` finds them where a value stands outside quotes (a bare
value, a ``{...}``/``[...]`` literal outside its strings, a raw JSON line
outside its strings), with their columns.  A braced reference may hold
blanks, quotes, ``|`` and ``>`` (``${j[?status=='running'] | [0].id}``):
its extent is found here, for `qmpsh.lang.variables` (which replaces it)
and for `qmpsh.lang.sink` (for which a ``|`` inside it is no pipe).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from qmpsh.lang.tokens import WHITESPACE, Kind, Token, tokenize
from qmpsh.lang.words import ParseError

#: a variable's name
NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SIGIL = "$"
ESCAPED = "\\$"
_QUOTES = "\"'`"  # JSON's and JMESPath's (`literal`)


class Reference(NamedTuple):
    name: str
    #: a JMESPath expression picking inside the value; "" for all of it
    pick: str
    start: int
    end: int
    #: the whole of a ``key=value``'s value: typed as the JSON value
    whole: bool = False
    #: inside a literal or raw JSON: written as the value's JSON
    json: bool = False


def _close(text: str, start: int) -> int:
    """The end of the ``${`` opening at *start* (after its ``}``), or -1."""
    at = start + 2
    depth = 0
    n = len(text)
    while at < n:
        ch = text[at]
        if ch == "\n":
            return -1
        if ch in _QUOTES:
            at += 1
            while at < n and text[at] != ch:
                at += 2 if text[at] == "\\" else 1
        elif ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                return at + 1
            depth -= 1
        at += 1
    return -1


def _braced(text: str, start: int) -> Reference:
    end = _close(text, start)
    if end < 0:
        raise ParseError("${ is never closed with }", start, text)
    inner = text[start + 2 : end - 1]
    lead = len(inner) - len(inner.lstrip())
    match = NAME_RE.match(inner, lead)
    if match is None:
        raise ParseError(
            "${ is followed by a variable's name: ${NAME}, ${NAME.member}, "
            "${NAME | expression}",
            start + 2 + lead,
            text,
        )
    rest = inner[match.end() :].strip()
    if rest.startswith("|"):
        pick = rest[1:].strip()
        if not pick:
            raise ParseError("nothing after | in ${...}", end - 1, text)
    elif rest.startswith("."):
        pick = rest[1:]
    elif rest.startswith("[") or not rest:
        pick = rest
    else:
        raise ParseError(
            f"after ${{{match.group()} write .member, [index] or | expression, "
            f"not {rest[:40]!r}",
            start + 2 + match.end(),
            text,
        )
    return Reference(match.group(), pick, start, end)


def _scan(text: str, token: Token, literal: bool, out: list[Reference]) -> int:
    """The references in one bare piece (or, *literal*, in a literal
    outside its strings); returns where scanning may go on."""
    at, end = token.start, token.end
    while at < end:
        ch = text[at]
        if literal and ch in _QUOTES:
            at += 1
            while at < end and text[at] != ch:
                at += 2 if text[at] == "\\" else 1
            at += 1
            continue
        if ch == "\\" and not literal and text.startswith(ESCAPED, at):
            out.append(Reference("", "", at, at + 2))  # a literal $
            at += 2
            continue
        if ch == SIGIL and at + 1 < len(text):
            nxt = text[at + 1]
            if nxt == "{":
                ref = _braced(text, at)
                out.append(ref._replace(json=literal))
                at = ref.end
                continue
            match = NAME_RE.match(text, at + 1)
            if match is not None:
                out.append(Reference(match.group(), "", at, match.end(), json=literal))
                at = match.end()
                continue
        at += 1
    return at


def find_references(text: str) -> list[Reference]:
    """The references in *text* (and its ``\\$``: `Reference`s with no
    name), in order.  Raises `ParseError` for a ``${`` that does not
    read."""
    if SIGIL not in text:
        return []
    tokens = tokenize(text, blanks=False)
    out: list[Reference] = []
    value_start: dict[int, int] = {}
    word_end: dict[int, int] = {}
    for tok in tokens:
        if tok.kind is Kind.EQUALS:
            value_start[tok.word] = tok.end
        elif tok.kind is Kind.BARE or tok.kind is Kind.QUOTED:
            word_end[tok.word] = tok.end
    after = 0
    for tok in tokens:
        if tok.end <= after or SIGIL not in tok.text:
            continue
        kind = tok.kind
        if kind is Kind.BARE:
            mark = len(out)
            after = _scan(text, tok, False, out)
            start = value_start.get(tok.word, -1)
            stop = word_end.get(tok.word, -1)
            for i in range(mark, len(out)):
                ref = out[i]
                if ref.name and ref.start == start and _ends_value(text, ref.end, stop):
                    out[i] = ref._replace(whole=True)
        elif kind is Kind.BRACKETED or kind is Kind.JSON:
            after = _scan(text, tok, True, out)
    return out


def _ends_value(text: str, end: int, word_end: int) -> bool:
    return end >= word_end or end >= len(text) or text[end] in WHITESPACE
