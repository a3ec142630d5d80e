"""Variables within one session: ``NAME = COMMAND``, ``$NAME``, ``${NAME.x}``.

Pure functions over the values (`qmpsh.lang.varstate.Variables`, which
the batch runner and the shell fill from replies); they read lines:

- `assignment`: ``NAME = COMMAND ...`` (spaces around ``=``, found by
  `qmpsh.lang.anatomy`), the name judged and the command with ``NAME =``
  blanked out (columns stay right);
- `find_references`: every ``$NAME``, ``${NAME}``, ``${NAME.path[0].x}``,
  ``${NAME | jmespath}`` where a value stands outside quotes (a bare value,
  a ``{...}``/``[...]`` literal outside its strings, a raw JSON line
  outside its strings), with its columns, and every ``\\$`` (a literal
  ``$`` in a bare value);
- `substitute`: the line with each reference replaced by its value, as a
  `qmpsh.lang.splice.Splice` (errors from the parser map back to columns
  of the typed line).

A ``$`` is a reference only when an identifier (``[A-Za-z_]\\w*``) or a
``{`` follows it; anything else (``a$-b``, ``$1``, ``cost=5$``) is the
character as before (but ``pa$word`` now names a variable: refused when
none is bound, never sent changed silently).  A reference that is a whole value is typed as its
JSON value (a handle stays an integer, a string stays a string, an object
is an object); inside a longer value its text is interpolated and the value
is a string; in a literal or raw JSON it is the value's JSON.  Quoted text
never holds a reference (``'$h'`` is the two characters).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, NamedTuple

from qmpsh.lang.anatomy import Binding
from qmpsh.lang.splice import Splice
from qmpsh.lang.tokens import WHITESPACE, Kind, Token, tokenize
from qmpsh.lang.varstate import LAST, Variables
from qmpsh.lang.words import ParseError

__all__ = [
    "LAST",
    "Reference",
    "Variables",
    "assignment",
    "find_references",
    "substitute",
]

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


class Assignment(NamedTuple):
    name: str
    #: where the name starts
    start: int
    #: the line with ``NAME =`` blanked out
    command: str


def assignment(text: str, found: Binding) -> Assignment:
    """The ``NAME = COMMAND ...`` that `qmpsh.lang.anatomy` *found* in
    *text*: the name, and the command with ``NAME =`` blanked out.  Raises
    `ParseError` for a name that is none, or nothing after ``=``."""
    name = text[found.name.start : found.name.end]
    if not NAME_RE.fullmatch(name):
        raise ParseError(
            f"a variable's name starts with a letter or _, then letters, digits "
            f"and _, not {name[:40]!r}",
            found.name.start,
            text,
        )
    end = found.equals + 1
    if not any(t.word >= 0 for t in tokenize(text[end:], blanks=False)):
        raise ParseError(
            f"nothing to bind to {name}: write {name} = COMMAND ...", end, text
        )
    return Assignment(name, found.name.start, " " * end + text[end:])


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


def substitute(text: str, variables: Variables) -> Splice | None:
    """*text* with its references replaced by their values (None: it has
    none).  Raises `ParseError` at the reference's column for one that is
    not bound, or picks nothing."""
    refs = find_references(text)
    if not refs:
        return None
    splice = Splice(text)
    at = 0
    for ref in refs:
        splice.copy(at, ref.start)
        if not ref.name:
            splice.put(SIGIL, ref.start)
        else:
            splice.put(_written(text, ref, value(text, ref, variables)), ref.start)
        at = ref.end
    splice.copy(at)
    return splice


def value(text: str, ref: Reference, variables: Variables) -> Any:
    """What *ref* stands for (its pick applied)."""
    values = variables.values
    if ref.name not in values:
        raise ParseError(unbound(ref.name, variables), ref.start, text)
    found = values[ref.name]
    if not ref.pick:
        return found
    from qmpsh.core.query import QueryError, compile_query

    try:  # QMP's names may be bare there too: ${b[0].node-name}
        picked = compile_query(ref.pick).apply(found)
    except QueryError as err:
        raise ParseError(
            f"{text[ref.start : ref.end]}: bad JMESPath expression: {err}",
            ref.start,
            text,
        ) from None
    if picked is None:
        raise ParseError(
            f"{text[ref.start : ref.end]} picks nothing from ${ref.name}",
            ref.start,
            text,
        )
    return picked


def unbound(name: str, variables: Variables, literal: bool = True) -> str:
    """Why ``$name`` has no value (*literal*: how to write a ``$`` that is
    no reference, when nothing close is defined)."""
    if name in variables.failed:
        return f"${name} is not bound: {variables.failed[name]}"
    if name == LAST:
        return "$_ is not bound yet: no command has returned a value"
    import difflib

    said = f"undefined variable ${name}"
    close = difflib.get_close_matches(name, variables.defined(), n=1)
    if close:
        return f"{said} (did you mean ${close[0]}?)"
    if not literal:
        return said
    return f"{said} (for a literal $, write \\$ or quote the value)"


def _written(text: str, ref: Reference, found: Any) -> str:
    """*found* as the shorthand text that reads back as it (see the
    module's docstring)."""
    if ref.json or ref.whole:
        return json.dumps(found, ensure_ascii=False)
    if isinstance(found, dict | list):
        kind = "an object" if isinstance(found, dict) else "a list"
        raise ParseError(
            f"${ref.name} is {kind}: use it as a whole value, or pick a member "
            f"with ${{{ref.name}.member}}",
            ref.start,
            text,
        )
    piece = found if isinstance(found, str) else json.dumps(found)
    return json.dumps(piece, ensure_ascii=False)


def names(refs: Sequence[Reference]) -> set[str]:
    """The variables *refs* use."""
    return {r.name for r in refs if r.name}
