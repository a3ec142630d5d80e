"""How other features plug into the interactive shell, without importing it.

``run_repl(ctx, handler, hooks=...)`` takes a `Hooks` (by default the ones
`qmpsh.shell.modes.hooks_for` makes for the session); every field is optional:

- ``completer``: a prompt_toolkit ``Completer`` for the input line;
  ``complete_while_typing``: show its menu without Tab.
- ``validator(text, request) -> Problem | None``: checks a parsed request
  before it is sent.  A `Problem` is shown under the input, the text stays
  there (the cursor goes to ``offset`` when given), and pressing Enter again
  on the same text sends it anyway.
- ``typer``: the parser's `Typer` for bare values (schema-aware values).
- ``command_names() -> names | None``: the commands the input highlighting
  knows; None while unknown (then, and without the hook, the shell uses
  what ``query-commands`` said at start).
- ``toolbar_segments``: callables returning prompt_toolkit formatted text
  (a str, or a list of ``(style, text)``); each non-empty one is shown in the
  bottom toolbar, left to right, redrawn whenever the screen is.
- ``input_hint(text_before_cursor, width)``: a line shown under the input
  while typing (e.g. the signature of the command being typed); empty to
  show nothing.
- ``on_sent(request)``: told after a request typed at the prompt was sent.
- ``event_filter(event)``: whether the event pane (and inline events) show
  an event; the ``events`` history keeps them all.
- ``event_filter_key()``: names the filter ``event_filter`` applies (equal
  keys, equal verdicts).  The pane's title counts what the pane shows, and
  counts the history again only when this key changes.
- ``connect_redraw(redraw)``: called once with the shell's redraw function,
  to call when what the completer, the hint or a segment shows has changed
  without a key being pressed (the schema has loaded, a job progressed).
- ``line_mode``: replaces how a submitted line is understood (HMP mode):
  see `LineMode`.  (`qmpsh.shell.modes` adapts a `qmpsh.shell.linehandler.LineHandler`.)

A line mode's `check` runs on Enter, synchronously: it returns
`Incomplete` (Enter inserts a newline: a continuation line), a `Problem`
(nothing is sent; the text stays), or a `Run` whose ``job`` coroutine gets a
`ShellApi` and does the work.  The shell records the text in the history,
echoes it, shows a spinner while the job runs and cancels it on Ctrl-C.
Text entered while a job runs is queued and checked again when its turn
comes (a `Problem` then puts it back into the input), so `check` must have
no side effects.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from qmpsh.lang.parser import Incomplete, Request, Typer

if TYPE_CHECKING:
    from prompt_toolkit.completion import Completer
    from prompt_toolkit.formatted_text import AnyFormattedText

    from qmpsh.builtins.context import Context
    from qmpsh.wire.eventlog import Event


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
    #: "qmp" for the shorthand (highlighted as such), else e.g. "hmp"
    mode: str

    def prompt(self) -> str | None:
        """The prompt to show, or None for the shell's own (the target)."""
        ...

    def check(self, text: str) -> Check: ...


class Declined(Exception):
    """The user answered no to a confirmation."""


RequestValidator = Callable[[str, Request], "Problem | None"]
Segment = Callable[[], "AnyFormattedText"]


@dataclass
class Hooks:
    completer: Completer | None = None
    complete_while_typing: bool = False
    validator: RequestValidator | None = None
    typer: Typer | None = None
    command_names: Callable[[], Collection[str] | None] | None = None
    toolbar_segments: list[Segment] = field(default_factory=list)
    input_hint: Callable[[str, int], AnyFormattedText] | None = None
    on_sent: Callable[[Request], None] | None = None
    connect_redraw: Callable[[Callable[[], None]], None] | None = None
    event_filter: Callable[[Event], bool] | None = None
    event_filter_key: Callable[[], object] | None = None
    line_mode: LineMode | None = None
