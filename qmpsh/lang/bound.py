"""A typed line made ready to parse: ``NAME =``, aliases and variables.

What batch mode and the shell do with a line before the parser sees it,
in this order (pure; the state comes in as arguments):

1. `prepare`: the line's parts are what `qmpsh.lang.anatomy` finds (the
   one reading of a line, the shell's and a script's): its ``!`` is
   blanked, its ``NAME =`` split off (`qmpsh.lang.variables.assignment`),
   and an alias the command starts with is expanded (`qmpsh.lang.aliases`);
2. a built-in is looked up on what that gives (the caller's business);
3. `parse_bound`: the references are replaced by the variables' values
   and the text parsed, on the whole command (a transaction's lines too).

Errors are `ParseError`s whose offset is in the text as typed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, NamedTuple

from qmpsh.lang.parser import Incomplete, Request, Typer, parse
from qmpsh.lang.words import ParseError

if TYPE_CHECKING:
    from qmpsh.lang.aliases import Alias
    from qmpsh.lang.anatomy import Anatomy
    from qmpsh.lang.varstate import Variables

# `qmpsh.lang.variables` is imported only for a line that may need it (a
# ``NAME =``, a ``$``): a one-shot ``-c query-status`` does not pay for it

_new = tuple.__new__


def _same(offset: int) -> int:
    return offset


class Prepared(NamedTuple):
    #: the command to look up or parse (``NAME =`` blanked, aliases expanded)
    text: str
    #: the variable its return value is bound to
    bind: str | None = None
    #: where an offset of *text* is in the typed line
    origin: Callable[[int], int] = _same
    #: the aliases expanded, outermost first
    aliases: tuple[str, ...] = ()


def prepare(parts: Anatomy, aliases: Mapping[str, Alias]) -> Prepared:
    """A command's first line (its *parts*, read without targets) with its
    ``!`` blanked, its assignment split off and its alias expanded (the
    caller judges the ``!``, and a sink).  Raises `ParseError`."""
    line = parts.unforced()
    text = line
    bind = None
    if parts.assign is not None:
        from qmpsh.lang.variables import assignment

        found = assignment(line, parts.assign)
        text, bind = found.command, found.name
    expanded = None
    if aliases:
        from qmpsh.lang.aliases import expand

        expanded = expand(text, aliases)
    if expanded is None:
        return _new(Prepared, (text, bind, _same, ()))  # quicker than Prepared()
    return Prepared(expanded.text, bind, expanded.origin, expanded.chain)


def parse_bound(
    text: str, typer: Typer | None, variables: Variables | None
) -> Request | Incomplete | None:
    """`qmpsh.lang.parser.parse` of *text* with its references replaced by
    the values of *variables* (as they are: see `qmpsh.lang.variables`)."""
    splice = None
    if variables is not None and "$" in text:
        from qmpsh.lang.variables import substitute

        splice = substitute(text, variables)
    if splice is None:
        return parse(text, typer)
    try:
        return parse(splice.text, typer)
    except ParseError as err:
        # what the message quotes may come from a value: scrubbed of the
        # secrets the text with the values holds (the caller scrubs what
        # was typed)
        from qmpsh.lang.secrets import scrub

        said = scrub(err.message, splice.text)
        raise ParseError(said, splice.origin(err.offset), text) from None


def retyped(err: ParseError, prepared: Prepared, typed: str, text: str) -> ParseError:
    """*err*, found in *text* (the prepared first line and the lines typed
    after it), at the offset in *typed* (the lines as typed)."""
    if prepared.origin is _same:
        return err
    first = text.find("\n")
    if first < 0 or err.offset <= first:
        offset = prepared.origin(err.offset)
    else:
        offset = err.offset + typed.find("\n") - first
    return ParseError(err.message, offset, typed)
