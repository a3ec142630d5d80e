"""What a built-in works with: the `Context` of one session.

A `Context` holds the connection and the settings, the `Frontend` the
session talks to the user through, and the `SessionState` that its
built-ins, the shell and batch mode share from one command to the next.

The front end is the terminal (stdout and stderr) in batch mode; while the
interactive shell runs, the shell is (`Context.fronted`): built-ins then
print above its prompt, ask on its prompt line and send what the user asked
for through its checks.  What the session says unasked (a warning, HMP
mode's CPU gone after a reconnection) goes to the front end of the moment.

Nothing in here is untyped: a service the session keeps (the schema, the
job tracker, the HMP shell, the manual) has its own field, made on first
use by an accessor (`Context.schema_service`, `Context.manual_service`,
`Context.job_tracker`,
`qmpsh.builtins.hmp.shell_for`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, runtime_checkable

from qmpsh.lang.varstate import Variables

if TYPE_CHECKING:
    from qmpsh.builtins.hmp import HmpShell
    from qmpsh.builtins.live_area import LiveArea
    from qmpsh.core.eventfilter import EventFilter
    from qmpsh.core.settings import Settings
    from qmpsh.jobs.tracker import JobTracker
    from qmpsh.lang.aliases import Alias
    from qmpsh.schema.manual.service import ManualService
    from qmpsh.schema.service import SchemaService
    from qmpsh.wire.connection import Connection
    from qmpsh.wire.eventlog import EventLog


class Console(Protocol):
    """Where built-ins and runners print."""

    def out(self, text: str) -> None:
        """Normal output (stdout, or above the prompt)."""

    def err(self, text: str) -> None:
        """A diagnostic line (stderr, or in the error colour)."""


@runtime_checkable
class RelayConsole(Protocol):
    """A `Console` that writes another program's stderr its own way (fan-out,
    `qmpsh.cli.tagged.TaggedConsole`: each line after its target's name);
    elsewhere batch mode writes it to stderr as it is."""

    def relay_err(self, text: str) -> None:
        """Lines a guest program wrote on its stderr (``guest-run --text``)."""


#: how the shell sends a request the user asked for: see `Context.send`
Gate = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]

#: asks the user a yes/no question; True for yes
Asker = Callable[[str], Awaitable[bool]]


class Frontend(NamedTuple):
    """Who the session talks to the user through: the terminal, or the
    interactive shell while it runs (see `Context.fronted`)."""

    #: where output and diagnostics go
    console: Console
    #: how a request the user asked for is sent (see `Context.send`); None:
    #: as it is (batch mode)
    gate: Gate | None = None
    #: asks a yes/no question (on the shell's prompt line); None: nobody to
    #: ask, and the answer is no
    confirm: Asker | None = None
    #: the shell's live area above its prompt (progress bars, ``watch``);
    #: None: outside the shell
    live: LiveArea | None = None
    #: whether JSON is indented now (the shell's compact/pretty toggle);
    #: None: as the settings say
    pretty: Callable[[], bool] | None = None
    #: sets that toggle (the ``output`` built-in); None: no toggle
    indent: Callable[[bool], None] | None = None


class SessionState:
    """What a session keeps from one command to the next, apart from the
    connection and the settings: shared by its built-ins, the shell and
    batch mode (and by a context derived for ``watch``)."""

    def __init__(self) -> None:
        #: the event filter set at run time with the ``filter`` built-in;
        #: None: the settings' one is in force (see
        #: `qmpsh.core.eventfilter.current`)
        self.event_filter: EventFilter | None = None
        #: the server's schema, loaded once per connection; see
        #: `Context.schema_service`, which makes it
        self.schema_service: SchemaService | None = None
        #: QEMU's QMP reference manual, for help and completion; see
        #: `Context.manual_service`, which makes it
        self.manual_service: ManualService | None = None
        #: the block jobs, followed on the connection; see
        #: `Context.job_tracker`, which makes it
        self.job_tracker: JobTracker | None = None
        #: HMP mode's line mode, which the ``hmp`` built-in uses too (the
        #: CPU chosen with ``cpu N`` holds for both); see
        #: `qmpsh.builtins.hmp.shell_for`, which makes it
        self.hmp_shell: HmpShell | None = None
        #: the reply the shell showed last (None before the first)
        self.last_reply: dict[str, Any] | None = None
        #: batch mode's ``wait`` window: ``wait`` looks at the events newer
        #: than this sequence number (see `Context.sent`)
        self.wait_from = 0
        #: False once a ``wait`` ended: the next command starts a new window
        self.window_open = False
        #: sequence numbers of the events batch mode's waits returned: a
        #: later wait in the same window does not return them again
        self.waited: set[int] = set()
        #: how many ``wait``s ended so far
        self.waits = 0
        #: the ``output`` built-in's format and --query expression ("": no
        #: query); None: as the settings say (qmpsh.builtins.output)
        self.output: str | None = None
        self.query: str | None = None
        #: ``NAME = COMMAND``'s values, and ``$_`` (qmpsh.lang.variables)
        self.variables = Variables()
        #: the aliases: the config file's, then the ``alias`` built-in's;
        #: None until read (see `qmpsh.builtins.aliases.table`)
        self.aliases: dict[str, Alias] | None = None


class Context:
    """What a built-in (or a runner) works with, for one session."""

    def __init__(
        self,
        conn: Connection,
        settings: Settings,
        console: Console,
        interactive: bool = False,
        *,
        session: SessionState | None = None,
    ) -> None:
        self.conn = conn
        self.settings = settings
        #: True in the interactive shell, False in batch mode
        self.interactive = interactive
        #: who the user is talked to through (see `fronted`)
        self.front = Frontend(console)
        #: what the session keeps between commands
        self.session = SessionState() if session is None else session
        #: sequence number of the newest event when the previous command was sent
        self.mark = 0

    def pretty(self) -> bool:
        """Whether to indent JSON now: the shell's toggle, else ``-p``."""
        toggle = self.front.pretty
        return toggle() if toggle is not None else self.settings.pretty

    def sent(self) -> None:
        """A command the user asked for is about to be sent: the mark moves
        to the newest event, and in batch mode the first command after a
        ``wait`` (or the first of all) starts ``wait``'s window there, so
        that commands between it and the next ``wait`` (a diagnostic
        ``query-block-jobs``) do not hide the events it caused."""
        self.mark = self.events.seq
        if not self.session.window_open:
            self.session.wait_from = self.mark
            self.session.window_open = True

    def wait_window(self, history: bool = False) -> int:
        """The sequence number ``wait`` looks back to: the previous command
        (the shell), the window's start (batch mode), the start of the
        history (*history*: ``wait --history``)."""
        if history:
            return 0
        return self.mark if self.interactive else self.session.wait_from

    def waited(self, seq: int | None) -> None:
        """A ``wait`` ended (returning the event *seq*, or None): the next
        command opens a new window, and the event is not returned again."""
        self.session.window_open = False
        self.session.waits += 1
        if seq is not None and not self.interactive:
            waited = self.session.waited
            waited.add(seq)
            if len(waited) > 4096:  # a long script: forget the oldest
                for old in sorted(waited)[:2048]:
                    waited.discard(old)

    @property
    def console(self) -> Console:
        """Where to print: the front end's console."""
        return self.front.console

    @property
    def events(self) -> EventLog:
        return self.conn.events

    @contextlib.contextmanager
    def fronted(self, front: Frontend) -> Iterator[None]:
        """Within the block, *front* is the session's front end (the shell
        while it runs, a quiet console for the start-up built-ins); then
        the one before it again."""
        outer, self.front = self.front, front
        try:
            yield
        finally:
            self.front = outer

    def printing_to(self, console: Console) -> Context:
        """A context for one nested run whose output *console* keeps
        (``watch``): the same connection, session, gate and questions, the
        mark as it is now (what the run moves it to stays in the new
        context), and no live area."""
        sub = Context(self.conn, self.settings, console, self.interactive)
        sub.front = self.front._replace(console=console, live=None)
        sub.session = self.session
        sub.mark = self.mark
        return sub

    async def send(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send a request the user asked for (not one qmpsh makes for its
        own needs) and return its reply, an error reply too.

        In the shell this goes through the front end's `Frontend.gate`, as
        a command typed at the prompt does: a dangerous command is
        confirmed first (a no raises `qmpsh.builtins.linemode.Declined`)
        and a quit is expected to end the connection.  Batch mode never
        asks.  Raises `QmpshError` as `Connection.execute` does.
        """
        gate = self.front.gate
        if gate is not None:
            return await gate(message)
        return await self.conn.execute(message, self.settings.timeout)

    async def confirm(self, question: str) -> bool:
        """Ask a yes/no question (on the shell's prompt line); True for yes.
        Without anyone to ask (not in the shell) the answer is no."""
        ask = self.front.confirm
        return ask is not None and await ask(question)

    def schema_service(self) -> SchemaService:
        """The session's `SchemaService` (made on first use; `start` or
        `load` it to have the schema)."""
        service = self.session.schema_service
        if service is None:
            from qmpsh.schema.service import SchemaService

            service = self.session.schema_service = SchemaService(self.conn)
        return service

    def manual_service(self) -> ManualService:
        """The session's `ManualService` (made on first use, reading the page
        ``--qmp-ref`` names, else the installed QEMU's)."""
        service = self.session.manual_service
        if service is None:
            from qmpsh.schema.manual.service import ManualService

            service = ManualService(self.settings.qmp_ref or None)
            self.session.manual_service = service
        return service

    def job_tracker(self) -> JobTracker:
        """The session's `JobTracker` (made and attached on first use, and
        again for another connection)."""
        tracker = self.session.job_tracker
        if tracker is None or tracker.conn is not self.conn:
            from qmpsh.jobs.tracker import JobTracker

            tracker = self.session.job_tracker = JobTracker(self.conn)
            tracker.attach()
        return tracker
