"""Drive the interactive shell in-process: pipe input, captured output.

prompt_toolkit reads keys from a pipe (``create_pipe_input``) and draws on a
``DummyOutput``; what the shell prints above the prompt is captured.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput

from qmpsh.builtins.context import Context
from qmpsh.cli.session import StreamConsole
from qmpsh.core.settings import Settings
from qmpsh.shell.app import Repl, build_repl
from qmpsh.shell.modes import hooks_for
from qmpsh.shell.modes_api import Hooks
from qmpsh.wire.connection import Connection
from qmpsh.wire.reconnect import Reopen
from qmpsh.wire.stream import UnixSocket
from qmpsh.wire.wirelog import WireLog

if TYPE_CHECKING:
    from qmpsh.builtins.hmp import HmpShell

KEYS = {
    "enter": "\r",
    "c-c": "\x03",
    "c-d": "\x04",
    "c-r": "\x12",
    "tab": "\t",
    "right": "\x1b[C",
    "up": "\x1b[A",
    "f1": "\x1bOP",
    "f2": "\x1bOQ",
    "f3": "\x1bOR",
    "f4": "\x1bOS",
    "f5": "\x1b[15~",
    "f6": "\x1b[17~",
    "alt-p": "\x1bp",
    "alt-up": "\x1b[1;3A",
    "alt-down": "\x1b[1;3B",
}
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Capture(DummyOutput):
    """Keeps what is written raw: everything the shell prints above the UI."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []

    def write_raw(self, data: str) -> None:
        self.chunks.append(data)

    @property
    def text(self) -> str:
        return _ANSI.sub("", "".join(self.chunks))


@dataclass
class Driver:
    pipe: PipeInput
    out: Capture
    repl: Repl
    task: asyncio.Task[int]

    @property
    def buffer_text(self) -> str:
        return self.repl.shell.buffer.text

    def type(self, *parts: str) -> None:
        """Send text; names in KEYS (e.g. "enter") are sent as those keys."""
        for part in parts:
            self.pipe.send_text(KEYS.get(part, part))

    async def until(
        self, predicate: Callable[[], object], what: str = "", timeout: float = 30
    ) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if self.task.done():
                self.task.result()
                raise AssertionError(f"the shell exited while waiting for {what}")
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out waiting for {what or predicate}; printed:\n{self.out.text}"
                )
            await asyncio.sleep(0.01)

    async def printed(self, needle: str, timeout: float = 30) -> None:
        await self.until(lambda: needle in self.out.text, repr(needle), timeout)

    async def idle(self) -> None:
        """Wait until no command runs and every key sent was handled (the
        keys are read from the pipe by the app's loop: let it run first, so
        that a command just submitted counts as running)."""
        await asyncio.sleep(0.05)
        await self.until(lambda: not self.repl.shell.busy, "the command to finish")
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def shell(
    conn: Connection | None = None,
    settings: Settings | None = None,
    hooks: Hooks | None = None,
    reopen: Reopen | None = None,
    wired: bool = False,
    handler: Callable[[Context], HmpShell] | None = None,
) -> AsyncIterator[Driver]:
    """A running shell; on leaving, Ctrl-D (if still running) and its exit.

    Without *hooks*, nothing is plugged in, unless *wired*: then what the
    real shell plugs in for the mode (the schema, or HMP mode with the
    `HmpShell` that *handler* makes for the session).
    """
    settings = settings or Settings(color="never", history_import="")
    ctx = Context(conn or Connection(), settings, StreamConsole(), interactive=True)
    # as the session does: warnings go to the console of the moment
    ctx.conn.on_warning(lambda text: ctx.console.err(f"warning: {text}"))
    if wired:
        hooks = hooks_for(ctx, handler(ctx) if handler is not None else None)
    with create_pipe_input() as pipe:
        out = Capture()
        repl = build_repl(ctx, hooks, reopen=reopen, input=pipe, output=out)
        task = asyncio.ensure_future(repl.run())
        driver = Driver(pipe, out, repl, task)
        await driver.until(lambda: repl.app.is_running, "the app to start")
        try:
            yield driver
        finally:
            if not task.done():
                repl.shell.quit()
            try:
                await asyncio.wait_for(task, 30)
            finally:
                await ctx.conn.close()  # as the session does


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run an async test scenario to its end."""
    asyncio.run(scenario())


async def connected(sock: Path, wirelog: WireLog | None = None) -> Connection:
    """A `Connection` to the QMP socket *sock* (negotiated)."""
    conn = Connection(wirelog=wirelog)
    await conn.connect(UnixSocket(str(sock)))
    return conn
