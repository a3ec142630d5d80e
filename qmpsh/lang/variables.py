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
from collections.abc import Sequence
from typing import Any, NamedTuple

from qmpsh.lang.anatomy import Binding
from qmpsh.lang.references import NAME_RE, SIGIL, Reference, find_references
from qmpsh.lang.splice import Splice
from qmpsh.lang.tokens import tokenize
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
