"""Shell built-ins: one registry that runs them and feeds ``help`` and completion.

A built-in is an async function registered with `builtin`; it gets a
`qmpsh.builtins.context.Context` (the connection, settings, event history,
the session's state and somewhere to print)
and the text after its name, and returns an exit code (0 for success).  A
request the user asked for goes out with `Context.send` (the shell confirms
dangerous ones); what a built-in asks for its own needs, with
``ctx.conn.execute``.  The same registry serves the interactive shell and
batch mode.

Feature modules register their built-ins when imported; `MODULES` says which
module holds which built-in, so that a module is imported only when needed.
"""

from __future__ import annotations

import importlib
import inspect
import shlex
from collections.abc import Awaitable, Callable
from typing import NamedTuple

from qmpsh.builtins.context import Context
from qmpsh.core.errors import QmpshError
from qmpsh.core.exitcodes import Exit

Runner = Callable[[Context, str], Awaitable[int]]


class BuiltinError(QmpshError):
    """A built-in failed (one line saying why) and the session goes on:
    batch mode reports it with the line's location, stops unless
    ``--keep-going``, and exits with `exit_code`."""

    def __init__(self, message: str, exit_code: Exit = Exit.COMMAND_ERROR) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Builtin(NamedTuple):
    name: str
    run: Runner
    #: one line for ``help``
    summary: str
    #: the argument synopsis, e.g. ``EVENT [FIELD=VALUE ...] [--timeout S]``
    usage: str = ""
    #: longer help text: the docstring without its indentation (paragraphs
    #: apart by a blank line, ``word`` for a literal; `qmpsh.builtins.helptext` wraps it)
    doc: str = ""
    #: False for built-ins that only make sense at a terminal
    batch: bool = True
    #: argument words offered by completion
    options: tuple[str, ...] = ()
    #: True for built-ins that work without the connection (the event
    #: history, help): the shell runs them while it is down, and keeps the
    #: line of any other one in the input for later
    offline: bool = False


REGISTRY: dict[str, Builtin] = {}

#: built-in name -> the module that registers it.  Modules are imported only
#: when one of their built-ins is used (or by `load_all` for help and
#: completion), so batch start-up pays for none of them.  Add a row here when
#: adding a built-in; `test_builtins` checks the table against the modules.
MODULES: dict[str, str] = {
    "events": "qmpsh.builtins.events",
    "hmp": "qmpsh.builtins.hmp",
    "getfd": "qmpsh.builtins.fds",
    "add-fd": "qmpsh.builtins.fds",
    "qom": "qmpsh.builtins.qom",
    "help": "qmpsh.builtins.help",
    "filter": "qmpsh.builtins.events",
    "wait": "qmpsh.builtins.events",
    "jobs": "qmpsh.builtins.jobs",
    "wait-job": "qmpsh.builtins.jobs",
    "commit": "qmpsh.builtins.jobs",
    "watch": "qmpsh.builtins.watch",
    "wait-migration": "qmpsh.builtins.migration",
    "output": "qmpsh.builtins.output",
    "vars": "qmpsh.builtins.aliases",
    "alias": "qmpsh.builtins.aliases",
    "unalias": "qmpsh.builtins.aliases",
}


def builtin(
    name: str,
    summary: str,
    usage: str = "",
    *,
    batch: bool = True,
    options: tuple[str, ...] = (),
    offline: bool = False,
) -> Callable[[Runner], Runner]:
    """Register the decorated coroutine function as the built-in *name*."""

    def register(run: Runner) -> Runner:
        doc = inspect.cleandoc(run.__doc__ or "")
        REGISTRY[name] = Builtin(
            name, run, summary, usage, doc, batch, options, offline
        )
        return run

    return register


def get(name: str) -> Builtin | None:
    """The built-in called *name* (importing its module), or None."""
    module = MODULES.get(name)
    if module is None:
        return None
    if name not in REGISTRY:
        importlib.import_module(module)
    return REGISTRY.get(name)


def lookup(line: str) -> tuple[Builtin, str] | None:
    """The built-in a line calls, and the rest of the line; or None."""
    words = line.split(None, 1)  # any white space, as the parser's words
    found = get(words[0]) if words else None
    if found is None:
        return None
    return found, words[1].strip() if len(words) > 1 else ""


def split_args(text: str) -> list[str]:
    """Shell-like words of a built-in's arguments (raises ValueError)."""
    return shlex.split(text, comments=True)


def above_zero(
    raw: object, option: str, kind: type = float, what: str = "a number"
) -> float:
    """An option's value as a finite number above 0 (*kind* int: whole),
    or ValueError with a line for the user."""
    try:
        value = float(kind(raw))
    except (TypeError, ValueError):
        value = -1.0
    if not 0 < value < float("inf"):
        raise ValueError(f"{option} wants {what} above 0, not {raw!r}")
    return value


def load_all() -> dict[str, Builtin]:
    """Every built-in, for help and completion."""
    for name in MODULES:
        get(name)
    return REGISTRY
