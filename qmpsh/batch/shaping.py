"""How batch mode writes a reply: ``-o``, ``--query`` and the ``output``
built-in (`Shaping`), and the word for a script line that holds the
shell's ``| cmd`` or ``> FILE`` (`sink_at`, `sink_hint`): batch mode has
no sinks, its own output is the script's to pipe or redirect."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple, TextIO

#: the formats that write JSON (`qmpsh.core.shape.VALUE_FORMATS` are the
#: others)
JSON_FORMATS = ("json", "pretty")

#: why a script's line with the shell's ``| cmd`` or ``> FILE`` is refused
NO_SINKS = (
    "| and > are the shell's; in a script, pipe or redirect qmpsh's own "
    "output: qmpsh -c CMD ADDRESS | ..."
)

if TYPE_CHECKING:
    from qmpsh.builtins.context import Context
    from qmpsh.core.query import Query
    from qmpsh.lang.anatomy import Anatomy


class Shaping(NamedTuple):
    """The format in force, the compiled query (or None) and the width a
    table fits (None: stdout is no terminal, nothing is cut)."""

    fmt: str
    query: Query | None
    width: int | None

    @property
    def json(self) -> bool:
        """Whether replies are written as JSON (whole, highlighted on a
        colour terminal; an error reply too)."""
        return self.fmt in JSON_FORMATS

    def text(self, reply: dict[str, Any], return_value: bool) -> str:
        """A successful *reply*, shaped; raises
        `qmpsh.core.query.QueryError` when the query cannot be applied.
        Plain JSON without a query (the default) needs no shaping module:
        a one-shot does not import it."""
        if self.query is None and self.fmt in JSON_FORMATS:
            from qmpsh.core.render import render_reply

            return render_reply(
                reply, pretty=self.fmt == "pretty", return_value=return_value
            )
        from qmpsh.core.shape import shape_reply

        return shape_reply(
            reply,
            self.fmt,
            return_value=return_value,
            query=self.query,
            width=self.width,
        )

    def value(self, reply: dict[str, Any]) -> Any:
        """What ``-o table``, ``yaml`` and ``csv`` show of a successful
        *reply*: its ``return``, the query applied (`QueryError` when it
        cannot be); fan-out lays it out (`qmpsh.cli.fanout_shaping`)."""
        value = reply.get("return", reply)
        return value if self.query is None else self.query.apply(value)


def shaping(ctx: Context, out: TextIO) -> Shaping:
    """-o and --query, or what the ``output`` built-in set since."""
    from qmpsh.builtins.output import in_force, query_in_force

    text = query_in_force(ctx)
    query = None
    if text:  # read before connecting (qmpsh.cli.invoke), or by ``output``
        from qmpsh.core.query import compile_query

        query = compile_query(text)
    fmt = in_force(ctx)
    width = None
    if fmt == "table" and out.isatty():
        import os

        try:
            width = os.get_terminal_size(out.fileno()).columns
        except (OSError, ValueError):
            width = None
    return Shaping(fmt, query, width)


def sink_at(parts: Anatomy) -> int | None:
    """Where the shell would find a sink in a line (its *parts*), or a
    mistake in one; None when the line has none."""
    if parts.sink is not None:
        return parts.sink.offset
    if parts.sink_error is not None:
        return parts.sink_error.offset
    return None


def sink_hint(text: str) -> str:
    """For a command that does not parse (*text*, its lines as typed): when
    it holds the shell's ``| cmd`` or ``> FILE``, as the shell reads a line
    (`qmpsh.lang.anatomy`), a word on what to do in a script instead."""
    from qmpsh.lang.anatomy import anatomy  # loaded already: the runner's

    if sink_at(anatomy(text, targets=False)) is None:
        return ""
    return f" ({NO_SINKS})"
