"""``--query EXPR``: a JMESPath expression applied to each reply's value.

JMESPath (jmespath.org) is the query language of the AWS and Azure command
lines; the ``jmespath`` package implements its specification.  It is
imported only when an expression is given.

`compile_query` reads the expression once, before connecting: a mistake is
a `QueryError` with one line saying where (``column 5: ...``).  A function
called with the wrong arguments only shows when the expression is applied
(`Query.apply`), which raises `QueryError` too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from jmespath.parser import ParsedResult


class QueryError(ValueError):
    """A JMESPath expression that cannot be read or applied: one line."""


class Query(NamedTuple):
    """A compiled expression and its text."""

    text: str
    parsed: ParsedResult

    def apply(self, value: Any) -> Any:
        """The expression's result on *value*; `QueryError` when it cannot
        be applied (a function given the wrong arguments)."""
        from jmespath.exceptions import JMESPathError

        try:
            return self.parsed.search(value)
        except JMESPathError as err:
            raise QueryError(f"{_said(err)} (in {self.text!r})") from None


def compile_query(text: str) -> Query:
    """*text* read as a JMESPath expression; `QueryError` with the column
    (counted from 1) where it goes wrong.  QMP's names may be written bare
    (`quote_names`): ``[].node-name`` reads as ``[]."node-name"``."""
    import jmespath
    from jmespath.exceptions import JMESPathError

    if not text.strip():
        raise QueryError("an empty expression: give one, e.g. '[].device'")
    quoted, origin = quote_names(text)
    try:
        return Query(text, jmespath.compile(quoted))
    except JMESPathError as err:
        raise _refusal(err, text, origin) from None


def _refusal(err: Exception, text: str, origin: list[int]) -> QueryError:
    """One line for the error *err* the parser raised on *text* (as quoted
    by `quote_names`, whose *origin* leads its offsets back to *text*'s):
    the column in *text*, counted from 1, when the error has one."""
    from jmespath.exceptions import LexerError, ParseError

    def column(position: int | None) -> int:
        return origin[min(position or 0, len(origin) - 1)] + 1

    if isinstance(err, LexerError):
        at = column(err.lex_position)
        return QueryError(f"column {at}: {err.message} in {text!r}")
    if isinstance(err, ParseError):
        at = column(err.lex_position)
        if err.token_type in (None, "EOF"):
            what = "the expression ends too early"
        else:
            what = f"unexpected {err.token_value!r}"
        return QueryError(f"column {at}: {what} in {text!r}")
    return QueryError(f"{_said(err)} in {text!r}")  # anything else refused


#: where a quoted part of an expression ends, by its opening character:
#: a quoted name, a raw string, a JSON literal
_CLOSERS = {'"': '"', "'": "'", "`": "`"}


def quote_names(text: str) -> tuple[str, list[int]]:
    """*text* with every bare name that holds a ``-`` quoted
    (``[].node-name`` becomes ``[]."node-name"``), outside quoted names, raw
    strings and literals; and for each offset of the result (and its end),
    the offset in *text* it comes from.  JMESPath has no minus, so such a
    name could only be a mistake (QMP spells nearly every member that
    way); a valid expression comes back unchanged."""
    out: list[str] = []
    origin: list[int] = []
    at, end = 0, len(text)
    while at < end:
        char = text[at]
        stop = at + 1
        if char in _CLOSERS:  # copied as it is, escapes and all
            while stop < end and text[stop] != _CLOSERS[char]:
                stop += 2 if text[stop] == "\\" else 1
            stop = min(stop + 1, end)
        elif char.isalpha() or char == "_":
            while stop < end and (text[stop].isalnum() or text[stop] in "_-"):
                stop += 1
            while text[stop - 1] == "-":  # a minus after the name is not in it
                stop -= 1
            if "-" in text[at:stop]:
                out.append(f'"{text[at:stop]}"')
                origin += [at, *range(at, stop), stop - 1]
                at = stop
                continue
        out.append(text[at:stop])
        origin += range(at, stop)
        at = stop
    origin.append(end)
    return "".join(out), origin


def _said(err: Exception) -> str:
    """The first line of a jmespath error's text."""
    text = str(err).strip().split("\n", 1)[0]
    return text or type(err).__name__
