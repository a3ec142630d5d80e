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
    (counted from 1) where it goes wrong."""
    import jmespath
    from jmespath.exceptions import JMESPathError, LexerError, ParseError

    if not text.strip():
        raise QueryError("an empty expression: give one, e.g. '[].device'")
    try:
        return Query(text, jmespath.compile(text))
    except LexerError as err:
        column = (err.lex_position or 0) + 1
        raise QueryError(f"column {column}: {err.message} in {text!r}") from None
    except ParseError as err:
        column = (err.lex_position or 0) + 1
        if err.token_type in (None, "EOF"):
            what = "the expression ends too early"
        else:
            what = f"unexpected {err.token_value!r}"
        raise QueryError(f"column {column}: {what} in {text!r}") from None
    except JMESPathError as err:  # anything else the parser refuses
        raise QueryError(f"{_said(err)} in {text!r}") from None


def _said(err: Exception) -> str:
    """The first line of a jmespath error's text."""
    text = str(err).strip().split("\n", 1)[0]
    return text or type(err).__name__
