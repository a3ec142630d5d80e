"""Shell built-ins: one registry that runs them and feeds ``help`` and completion.

A built-in is an async function registered with `builtin`; it gets a
`Context` (the connection, settings, event history and somewhere to print)
and the text after its name, and returns an exit code (0 for success).  The
same registry serves the interactive shell and batch mode.

Feature modules register their built-ins by being imported from
`load_all`, so this module stays small and knows none of them.
"""

from __future__ import annotations

import functools
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from qmpsh.client import Connection
from qmpsh.eventlog import EventLog
from qmpsh.settings import Settings


class Console(Protocol):
    """Where built-ins and runners print."""

    def out(self, text: str) -> None:
        """Normal output (stdout, or above the prompt)."""

    def err(self, text: str) -> None:
        """A diagnostic line (stderr, or in the error colour)."""


@dataclass
class Context:
    conn: Connection
    settings: Settings
    console: Console
    #: True in the interactive shell, False in batch mode
    interactive: bool = False
    #: sequence number of the newest event when the previous command was sent
    mark: int = 0
    #: state shared by built-ins for the session (toggles, caches...)
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def events(self) -> EventLog:
        return self.conn.events


Runner = Callable[[Context, str], Awaitable[int]]


@dataclass(frozen=True)
class Builtin:
    name: str
    run: Runner
    #: one line for ``help``
    summary: str
    #: the argument synopsis, e.g. ``EVENT [FIELD=VALUE ...] [--timeout S]``
    usage: str = ""
    #: longer help text
    doc: str = ""
    #: False for built-ins that only make sense at a terminal
    batch: bool = True
    #: argument words offered by completion
    options: tuple[str, ...] = ()


REGISTRY: dict[str, Builtin] = {}


def builtin(
    name: str,
    summary: str,
    usage: str = "",
    *,
    batch: bool = True,
    options: tuple[str, ...] = (),
) -> Callable[[Runner], Runner]:
    """Register the decorated coroutine function as the built-in *name*."""

    def register(run: Runner) -> Runner:
        REGISTRY[name] = Builtin(
            name, run, summary, usage, (run.__doc__ or "").strip(), batch, options
        )
        return run

    return register


def lookup(line: str) -> tuple[Builtin, str] | None:
    """The built-in a line calls, and the rest of the line; or None."""
    stripped = line.lstrip()
    name, _, rest = stripped.partition(" ")
    found = REGISTRY.get(name.rstrip())
    if found is None:
        return None
    return found, rest.strip()


def split_args(text: str) -> list[str]:
    """Shell-like words of a built-in's arguments (raises ValueError)."""
    return shlex.split(text, comments=True)


@functools.cache
def load_all() -> dict[str, Builtin]:
    """Import the modules that register built-ins; return the registry."""
    import qmpsh.builtin_core  # noqa: F401

    return REGISTRY
