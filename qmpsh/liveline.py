"""Live terminal output for long-running built-ins: redrawn lines and Ctrl-C.

`LiveLines` redraws a block of lines in place (a progress bar) on a terminal
stream.  `interruptible` runs a coroutine so that Ctrl-C stops only it, in
the interactive shell: the built-in returns to the prompt instead of the
whole shell ending.  In batch mode Ctrl-C keeps its usual meaning (stop
qmpsh, exit 130).
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import sys
import threading
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, Protocol, TextIO, TypeVar

T = TypeVar("T")


class Interrupted(Exception):
    """Ctrl-C stopped the awaited work."""


async def interruptible(work: Awaitable[T], enabled: bool = True) -> T:
    """Await *work*; with *enabled*, Ctrl-C cancels it and raises `Interrupted`."""
    inner = asyncio.ensure_future(work)
    if not enabled or threading.current_thread() is not threading.main_thread():
        return await inner
    loop = asyncio.get_running_loop()
    hit = False

    def on_sigint() -> None:
        nonlocal hit
        hit = True
        inner.cancel()

    previous = signal.getsignal(signal.SIGINT)
    try:
        loop.add_signal_handler(signal.SIGINT, on_sigint)
    except (NotImplementedError, RuntimeError, ValueError):
        return await inner
    try:
        return await inner
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if hit and (task is None or not task.cancelling()):
            raise Interrupted from None
        raise
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        signal.signal(signal.SIGINT, previous)
        if not inner.done():
            inner.cancel()


#: key in `Context.state` of the `LiveLines` being drawn, if any
STATE_KEY = "live_lines"


def before_print(state: Mapping[str, Any]) -> None:
    """Clear the live lines (if any) so that a line printed now goes above
    them; they are drawn again, below it, at their next update.  The shell's
    event pane calls this before it prints an event."""
    live = state.get(STATE_KEY)
    if isinstance(live, LiveLines):
        live.clear()


class LiveArea(Protocol):
    """The interactive shell's live area (`qmpsh.shell.Shell` is one): it
    draws the lines itself, above its prompt, while the built-in runs."""

    def live(self, text: str | None) -> None: ...

    def out(self, text: str) -> None: ...


def live_area(console: object) -> LiveArea | None:
    """*console* (a `Context.console`) when it is the shell's, with a live area."""
    return console if callable(getattr(console, "live", None)) else None  # type: ignore[return-value]


class LiveLines:
    """A block of lines redrawn in place on a terminal (or in the shell's
    live *area*); inert without either."""

    def __init__(self, stream: TextIO | None, area: LiveArea | None = None) -> None:
        self.stream = None if area is not None else stream
        self.area = area
        self.shown = 0
        self._last: list[str] = []

    @property
    def active(self) -> bool:
        return self.stream is not None or self.area is not None

    def width(self) -> int:
        return max(20, shutil.get_terminal_size((80, 24)).columns - 1)

    def show(self, lines: Sequence[str]) -> None:
        if self.area is not None:
            self._last = [line[: self.width()] for line in lines]
            self.area.live("\n".join(self._last))
            return
        if self.stream is None:
            return
        width = self.width()
        out = ""
        if self.shown > 1:
            out += f"\x1b[{self.shown - 1}A"
        out += "\r"
        rows = [line[:width] for line in lines] or [""]
        for i in range(max(len(rows), self.shown)):
            text = rows[i] if i < len(rows) else ""
            out += (
                text + "\x1b[K" + ("\n" if i < max(len(rows), self.shown) - 1 else "")
            )
        self.shown = max(len(rows), self.shown)
        self.stream.write(out)
        self.stream.flush()

    def clear(self) -> None:
        """Erase the lines and put the cursor where the first one was."""
        if self.stream is None or not self.shown:
            return
        up = f"\x1b[{self.shown - 1}A" if self.shown > 1 else ""
        self.stream.write(up + "\r\x1b[J")
        self.stream.flush()
        self.shown = 0

    def close(self) -> None:
        """Leave the last drawing on screen and move below it."""
        if self.area is not None and self._last:
            self.area.live(None)
            self.area.out("\n".join(self._last))
            self._last = []
        if self.stream is not None and self.shown:
            self.stream.write("\n")
            self.stream.flush()
        self.shown = 0


def terminal_stream(interactive: bool) -> TextIO | None:
    """Where live progress goes: stdout in the shell, stderr on a terminal in
    batch mode (stdout carries the JSON lines), else nowhere."""
    if interactive:
        return sys.stdout if sys.stdout.isatty() else None
    return sys.stderr if sys.stderr.isatty() else None
