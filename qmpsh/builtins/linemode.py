"""The line-mode plug-in: how the interactive shell understands a line.

A `LineMode` says what the text submitted at the prompt is.  Two modes
implement it: QMP shorthand with the built-ins (`qmpsh.shell.qmp_mode.QmpLines`,
the default) and HMP (`qmpsh.builtins.hmp.HmpShell`, ``-H``, which also runs
the ``hmp`` built-in and HMP batch mode: hence this module sits below the
shell, with the built-ins).  The shell takes one through
`qmpsh.shell.modes_api.Hooks.line_mode`.

A line mode's `LineMode.check` runs on Enter, synchronously: it returns
`Incomplete` (Enter inserts a newline: a continuation line), a `Problem`
(nothing is sent; the text stays), or a `Run` whose ``job`` coroutine gets a
`ShellApi` and does the work.  The shell records the text in the history,
echoes it, shows a spinner while the job runs and cancels it on Ctrl-C.
Text entered while a job runs is queued and checked again when its turn
comes (a `Problem` then puts it back into the input), so `check` must have
no side effects.  `not_connected` and `in_turn` are what both modes use.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from qmpsh.lang.parser import Incomplete

if TYPE_CHECKING:
    from qmpsh.builtins.context import Context
    from qmpsh.wire.connection import Connection


class ShellApi(Protocol):
    """What a job may do while it runs in the shell."""

    @property
    def ctx(self) -> Context: ...

    async def send(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send a QMP message and return its reply (an error reply too).

        Asks first when the command is a dangerous one (raises `Declined`
        when the user says no); echoes the request in verbose mode; raises
        `QmpshError` (not connected, lost, timeout) and CancelledError on
        Ctrl-C.
        """
        ...

    async def vet(self, message: dict[str, Any]) -> None:
        """Ask first if *message* is a dangerous command (and confirmations
        are on); raise `Declined` when the user says no.  `send` does this."""
        ...

    def show_reply(self, reply: dict[str, Any], command: str = "") -> int:
        """Print a reply as the shell does (pretty/compact, colour, pager,
        errors as ``Class: desc``, or a guest agent's "command not found"
        worded for *command*); return the exit code it stands for."""
        ...

    def out(self, text: str) -> None:
        """Print text above the prompt (paged when taller than the screen)."""
        ...

    def err(self, text: str) -> None:
        """Print one diagnostic line in the error colour."""
        ...

    def live(self, text: str | None) -> None:
        """Show *text* (may hold ANSI colours) in a live area above the
        prompt, replacing what was there (a progress bar, a ``watch``
        result); None removes it.  It goes away when the job ends.  A
        built-in finds it as ``ctx.front.live`` (None outside the shell)."""
        ...

    async def confirm(self, question: str) -> bool:
        """Ask a yes/no question on the prompt line; True for yes."""
        ...


Job = Callable[[ShellApi], Awaitable[int]]


@dataclass(frozen=True)
class Run:
    """Run *job*; *label* names it in the toolbar while it runs; *cancelled*
    is said when Ctrl-C cancels it (default: ``LABEL: cancelled``), unless
    a request it sent was waiting for its reply: then the shell says that it
    stopped waiting, since the server may still run it."""

    job: Job | None
    label: str = ""
    cancelled: str = ""


@dataclass(frozen=True)
class Problem:
    """Why the text is not sent, as one line.

    *offset* (into the text) is where the cursor goes.  With *force*, Enter
    again on the unchanged text runs it anyway.
    """

    message: str
    offset: int | None = None
    force: Run | None = None


Check = Incomplete | Problem | Run


class LineMode(Protocol):
    """How the shell understands the text submitted at its prompt."""

    #: "qmp" for the shorthand (highlighted as such), else e.g. "hmp"
    mode: str

    def prompt(self) -> str | None:
        """The prompt to show, or None for the shell's own (the target)."""
        ...

    def check(self, text: str) -> Check:
        """What Enter does with *text*: see the module's docstring.  No side
        effects (queued text is checked again when its turn comes)."""
        ...


class Declined(Exception):
    """The user answered no to a confirmation."""


def not_connected(conn: Connection) -> Problem | None:
    """Why a line that needs the connection stays in the input, or None
    when connected."""
    if conn.connected:
        return None
    why = conn.lost_reason or "the connection is closed"
    return Problem(f"not connected ({why}); the line is kept for later")


def in_turn(jobs: list[Job]) -> Job:
    """One job running *jobs* one after the other; the last failure's code."""

    async def job(api: ShellApi) -> int:
        code = 0
        for one in jobs:
            code = await one(api) or code
        return code

    return job
