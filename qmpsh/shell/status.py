"""The shell's view of its connection: what the server is, whether it is
there, and getting it back after it went away.

`Link` follows the `Connection`'s state: it says "connection lost" once,
starts the `Reconnector` (when the session can be reopened) and says when
the connection is back; the toolbar asks it for the state to show.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from qmpsh.core.errors import QmpshError
from qmpsh.shell.printer import Printer
from qmpsh.wire.connection import Connection
from qmpsh.wire.reconnect import Reconnector, Reopen
from qmpsh.wire.state import ConnState


@dataclass
class Target:
    """What we know about the server: for the prompt, banner and lexer."""

    version: str = ""
    machine: str = ""
    commands: frozenset[str] | None = None
    #: a guest agent (qemu-ga) rather than a QEMU monitor
    agent: bool = False

    def prompt(self, mode: str) -> str:
        if self.agent:
            label = "qga"
        elif not self.version:
            label = "qmp"
        else:
            label = "qemu " + ".".join(self.version.split(".")[:2])
            if self.machine:
                label += f" {self.machine}"
        if mode != "qmp":
            label += f" {mode}"
        return f"({label}) "


class Link:
    def __init__(
        self,
        conn: Connection,
        printer: Printer,
        retries: int,
        retry_delay: float,
        reopen: Reopen | None,
        on_change: Callable[[], None],
        on_back: Callable[[], None],
        label: str = "",
    ) -> None:
        self.conn = conn
        #: what its lines start with in a shell open on several targets
        #: (``vm3: connection lost: ...``); "" for one target
        self.label = label
        self.printer = printer
        self.retries = retries
        self.on_change = on_change
        self.on_back = on_back
        self.target = Target(conn.version, agent=conn.guest_agent)
        #: set while a quit (QMP ``quit``, HMP ``q``/``quit``, however it was
        #: sent) is under way: losing the connection is expected
        self.quitting = False
        self.reconnector = (
            Reconnector(conn, reopen, retries, retry_delay, on_change, self._done)
            if reopen is not None
            else None
        )
        self._probing: asyncio.Task[None] | None = None

    def state(self) -> tuple[str, str]:
        """(style name, text) for the toolbar: connected, reconnecting, lost."""
        if self.conn.connected:
            return "connected", "connected"
        if self.reconnector is not None and self.reconnector.active:
            return "reconnecting", self.reconnector.status()
        state = self.conn.state
        if state == ConnState.CONNECTING:
            return "reconnecting", "connecting"
        if state in (ConnState.LOST, ConnState.IDLE):
            return "lost", "lost"
        return "lost", state.value

    def server(self) -> str:
        version = f"QEMU {self.target.version}" if self.target.version else "the server"
        return f"{version} at {self.conn.address}"

    def on_state(self, state: ConnState, reason: str) -> None:
        """The `Connection`'s state listener."""
        if state == ConnState.LOST and self.quitting:
            again = " (F6 reconnects)" if self.reconnector is not None else ""
            self.printer.note(
                f"{self._said()}QEMU has quit: Ctrl-D leaves the shell{again}"
            )
        elif state == ConnState.LOST:
            retry = self.reconnector is not None and self.retries > 0
            then = (
                f"; reconnecting (up to {self.retries} attempts; F6 tries now)"
                if retry
                else ""
            )
            self.printer.error(f"{self._said()}connection lost: {reason}{then}")
            if retry:
                assert self.reconnector is not None
                self.reconnector.start()
        self.on_change()

    def _said(self) -> str:
        return f"{self.label}: " if self.label else ""

    def reconnect_now(self) -> str | None:
        """F6: try at once; or say why not."""
        if self.conn.connected:
            return "already connected"
        if self.reconnector is None:
            return "this connection cannot be reopened"
        if self.retries <= 0:
            return "reconnecting is off (--retries 0)"
        self.reconnector.start()
        return None

    def _done(self, ok: bool, why: str) -> None:
        if ok:
            self.quitting = False
            self.target.version = self.conn.version
            self.printer.note(f"{self._said()}reconnected to {self.server()}")
            self.on_back()
            self._probing = asyncio.ensure_future(self.probe())
        else:
            self.printer.error(
                f"{self._said()}gave up reconnecting after {self.retries} attempts: {why}; "
                "F6 tries again, Ctrl-D quits"
            )
        self.on_change()

    async def probe(self) -> None:
        """Learn the machine type and the command list (cheap, best effort).

        After a reconnection the server may be another one (a storage
        daemon where a q35 QEMU was): what it cannot tell is forgotten, not
        kept from the old one."""
        conn = self.conn
        self.target.version = conn.version
        self.target.agent = conn.guest_agent
        self.target.machine = ""
        self.target.commands = None
        if not conn.version:
            return
        machine, commands = await asyncio.gather(
            _ask(
                conn,
                {
                    "execute": "qom-get",
                    "arguments": {"path": "/machine", "property": "type"},
                },
            ),
            _ask(conn, {"execute": "query-commands"}),
        )
        if isinstance(machine, str):
            self.target.machine = machine
        if isinstance(commands, list):
            names = {c.get("name") for c in commands if isinstance(c, dict)}
            self.target.commands = frozenset(n for n in names if isinstance(n, str))
        self.on_change()

    def close(self) -> None:
        if self.reconnector is not None:
            self.reconnector.cancel()
        if self._probing is not None:
            self._probing.cancel()


async def _ask(conn: Connection, message: dict[str, Any]) -> Any:
    try:
        reply = await conn.execute(message, 5.0)
    except QmpshError:
        return None
    return reply.get("return")
