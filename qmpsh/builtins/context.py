"""What a built-in works with: the `Context` of one session."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from qmpsh.core.settings import Settings
from qmpsh.wire.connection import Connection
from qmpsh.wire.eventlog import EventLog


class Console(Protocol):
    """Where built-ins and runners print."""

    def out(self, text: str) -> None:
        """Normal output (stdout, or above the prompt)."""

    def err(self, text: str) -> None:
        """A diagnostic line (stderr, or in the error colour)."""


#: how the shell sends a request the user asked for: see `Context.send`
Gate = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


class Context:
    """What a built-in (or a runner) works with, for one session."""

    def __init__(
        self,
        conn: Connection,
        settings: Settings,
        console: Console,
        interactive: bool = False,
        mark: int = 0,
        state: dict[str, Any] | None = None,
        gate: Gate | None = None,
    ) -> None:
        self.conn = conn
        self.settings = settings
        self.console = console
        #: True in the interactive shell, False in batch mode
        self.interactive = interactive
        #: sequence number of the newest event when the previous command was sent
        self.mark = mark
        #: state shared by built-ins for the session (toggles, caches...)
        self.state: dict[str, Any] = {} if state is None else state
        #: set by the shell while it runs (None in batch mode): see `send`
        self.gate = gate

    async def send(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send a request the user asked for (not one qmpsh makes for its
        own needs) and return its reply, an error reply too.

        In the shell this goes through its `gate`, as a command typed at
        the prompt does: a dangerous command is confirmed first (a no
        raises `qmpsh.shell.modes_api.Declined`) and a quit is expected to end the
        connection.  Batch mode never asks.  Raises `QmpshError` as
        `Connection.execute` does.
        """
        if self.gate is not None:
            return await self.gate(message)
        return await self.conn.execute(message, self.settings.timeout)

    @property
    def events(self) -> EventLog:
        return self.conn.events
