"""The ``output`` built-in: the ``-o`` format and the ``--query`` expression
of the session, changed while it runs (the shell, or a batch script)."""

from __future__ import annotations

from qmpsh.builtins.context import Context
from qmpsh.builtins.registry import BuiltinError, builtin, split_args
from qmpsh.core.exitcodes import Exit
from qmpsh.core.settings import SETTING

FORMATS: tuple[str, ...] = SETTING["output"].choices


@builtin(
    "output",
    "show or set the format of replies (-o) and --query",
    "[FORMAT] [--query EXPR | --no-query]",
    options=(*FORMATS, "--query", "--no-query"),
)
async def output_cmd(ctx: Context, text: str) -> int:
    """Without arguments, say the format and the query in force (in batch
    mode as one JSON object: ``{"output": "json", "query": null}``).  FORMAT
    writes the replies that follow as ``-o FORMAT`` does: ``json``,
    ``pretty``, ``table``, ``yaml`` or ``csv``.  ``--query EXPR`` applies
    the JMESPath expression EXPR to each reply's "return" from now on, as
    ``--query`` does (quote it: ``output --query '[].device'``);
    ``--no-query`` stops.  In the shell F2 still switches JSON between
    compact and indented.  One command's output can also go through a shell
    command or into a file: ``query-block | grep d0``, ``query-block >
    blocks.json``."""
    args = split_args(text)
    session = ctx.session
    if not args:
        if ctx.interactive:
            ctx.console.out(describe(ctx))
        else:  # one JSON value per line on stdout, as vars and filter say it
            from qmpsh.core.render import render_json

            shown = {"output": in_force(ctx), "query": query_in_force(ctx) or None}
            ctx.console.out(render_json(shown, ctx.pretty()))
        return Exit.OK
    fmt: str | None = None
    query: str | None = None
    words = iter(args)
    for word in words:
        if word in FORMATS and fmt is None:
            fmt = word
        elif word == "--query" and query is None:
            query = next(words, None)
            if query is None:
                raise ValueError("--query needs an expression: --query '[].device'")
            _check(query)
        elif word.startswith("--query=") and query is None:
            query = word.split("=", 1)[1]
            _check(query)
        elif word == "--no-query" and query is None:
            query = ""
        else:
            wanted = " | ".join(FORMATS)
            raise ValueError(
                f"{word!r} is not understood: give one of {wanted}, "
                "--query EXPR or --no-query"
            )
    if fmt is not None:
        session.output = fmt
        indent = ctx.front.indent
        if indent is not None and fmt in ("json", "pretty"):
            indent(fmt == "pretty")
    if query is not None:
        session.query = query
    return Exit.OK


def _check(query: str) -> None:
    from qmpsh.core.query import QueryError, compile_query

    try:
        compile_query(query)
    except QueryError as err:
        raise BuiltinError(f"--query: {err}", Exit.PARSE_ERROR) from None


def describe(ctx: Context) -> str:
    """``output: table; query: [].device`` (none: ``no query``)."""
    fmt = in_force(ctx)
    query = query_in_force(ctx)
    said = f"query: {query}" if query else "no query"
    return f"output: {fmt}; {said}"


def in_force(ctx: Context) -> str:
    """The format replies are written in now: the ``output`` built-in's,
    else ``-o``'s; in the shell, JSON is compact or indented as F2 says."""
    chosen = ctx.session.output
    fmt = chosen or ctx.settings.output
    if fmt in ("json", "pretty") and ctx.front.pretty is not None:
        return "pretty" if ctx.pretty() else "json"
    if chosen is None and fmt == "json" and ctx.settings.pretty:
        return "pretty"
    return fmt


def query_in_force(ctx: Context) -> str:
    """The --query expression in force now ("" for none)."""
    query = ctx.session.query
    return ctx.settings.query if query is None else query
