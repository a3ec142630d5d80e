"""The ``qom get|set|list|tree`` commands, shared by the built-in and the CLI.

Each command takes a connection, somewhere to print lines, and its
arguments; it raises `QomError` (one line) when it cannot do its job.
The ``qom`` built-in is registered here; ``qmpsh qom ...`` is in
`qmpsh.cli.qom`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qmpsh.builtins.context import Context
from qmpsh.builtins.registry import BuiltinError, builtin, split_args
from qmpsh.core.exitcodes import Exit
from qmpsh.core.render import error_line, is_error, render_json
from qmpsh.lang.redact import line_placeholder_refusal, shown
from qmpsh.qom import model as qom
from qmpsh.qom.fetch import (
    DEFAULT_WINDOW,
    Executor,
    QomFailed,
    fetch_tree,
    qom_get,
    qom_list,
    typed_set_message,
)

Out = Callable[[str], None]

USAGE = (
    "get PATH.PROPERTY [--json] | set PATH.PROPERTY VALUE | list [PATH] | tree [PATH]"
)


async def run_get(
    conn: Executor,
    out: Out,
    path_prop: str,
    as_json: bool = False,
    timeout: float | None = None,
    pretty: bool = False,
) -> None:
    """Print a property: plain like QEMU's qom-get, or as JSON (indented
    with *pretty*)."""
    path, prop = qom.split_path_prop(path_prop)
    value = await qom_get(conn, path, prop, timeout)
    lines = [render_json(value, pretty)] if as_json else qom.get_lines(value)
    for line in lines:
        out(line)


async def run_set(
    conn: Executor,
    out: Out,
    path_prop: str,
    text: str,
    timeout: float | None = None,
    echo: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """Set a property to *text*, typed by the property's type; prints nothing
    (with *echo*, the request is shown first)."""
    path, prop = qom.split_path_prop(path_prop)
    message = await typed_set_message(conn, path, prop, text, timeout)
    if echo is not None:
        echo(message)
    reply = await conn.execute(message, timeout)
    if is_error(reply):
        raise QomFailed(f"qom-set {path}.{prop}: {error_line(reply)}")


async def run_list(
    conn: Executor, out: Out, path: str = "/", timeout: float | None = None
) -> None:
    for line in qom.list_lines(await qom_list(conn, path, timeout)):
        out(line)


async def run_tree(
    conn: Executor,
    out: Out,
    path: str = "/",
    timeout: float | None = None,
    window: int = DEFAULT_WINDOW,
) -> None:
    root = await fetch_tree(conn, path, timeout, window)
    for line in qom.tree_lines(root):
        out(line)


@builtin(
    "qom",
    "QOM: get, set (typed), list or show the tree of objects",
    USAGE,
    options=("get", "set", "list", "tree", "--json"),
)
async def qom_cmd(ctx: Context, text: str) -> int:
    """Like QEMU's qom-get, qom-set, qom-list and qom-tree, in the same
    output formats:

    ``qom get /machine.type`` prints a value (objects as ``key: value``
    lines; ``--json`` prints JSON); ``qom set /machine.PROP VALUE`` sends
    VALUE typed by the property's type (bool, integer, size with K/M/G
    suffixes, JSON for structures); ``qom list /machine`` marks children
    ``name/`` and links ``@name/``; ``qom tree /machine`` prints every object
    below with its properties, values and types."""
    args = split_args(text)
    if not args:
        raise BuiltinError(f"expected {USAGE}", Exit.PARSE_ERROR)
    verb, rest = args[0], args[1:]
    s = ctx.settings
    out = ctx.console.out
    try:
        if verb == "get" and rest:
            as_json, path_prop = _get_args(rest)
            await run_get(ctx.conn, out, path_prop, as_json, s.timeout, s.pretty)
        elif verb == "set" and len(rest) == 2:
            refusal = line_placeholder_refusal(f"qom set {rest[0]} {rest[1]}")
            if refusal is not None:
                raise BuiltinError(refusal, Exit.PARSE_ERROR)

            def echo(message: dict[str, Any]) -> None:
                if s.verbose:
                    out(render_json(shown(message, s.redact), s.pretty))

            await run_set(ctx.conn, out, rest[0], rest[1], s.timeout, echo)
        elif verb in ("list", "tree") and len(rest) <= 1:
            path = rest[0] if rest else "/"
            if verb == "list":
                await run_list(ctx.conn, out, path, s.timeout)
            else:
                await run_tree(ctx.conn, out, path, s.timeout, s.max_inflight)
        elif verb == "fuse":
            raise BuiltinError(
                "fuse mounts from the command line: qmpsh qom fuse MOUNTPOINT",
                Exit.PARSE_ERROR,
            )
        else:
            raise BuiltinError(f"expected {USAGE}", Exit.PARSE_ERROR)
    except QomFailed as err:
        raise BuiltinError(str(err)) from None
    except qom.QomError as err:
        raise BuiltinError(str(err), Exit.PARSE_ERROR) from None
    return Exit.OK


def _get_args(words: list[str]) -> tuple[bool, str]:
    """``qom get``'s words (``--json`` anywhere): (as JSON, PATH.PROPERTY)."""
    flags = [w for w in words if w.startswith("-")]
    paths = [w for w in words if not w.startswith("-")]
    for flag in flags:
        if flag != "--json":
            raise BuiltinError(
                f"get: unknown option {flag!r} (get takes --json)", Exit.PARSE_ERROR
            )
    if len(paths) != 1:
        raise BuiltinError(f"expected {USAGE}", Exit.PARSE_ERROR)
    return bool(flags), paths[0]
