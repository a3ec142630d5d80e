"""Live terminal output for long-running built-ins: lines redrawn in place.

`LiveLines` redraws a block of lines in place (a progress bar): in the
interactive shell's live area above its prompt, or on a terminal stream
(stderr in batch mode).  In the shell, Ctrl-C is a key that cancels the
running built-in (see `qmpsh.shell.state`); in batch mode it stops qmpsh (exit
130).
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from typing import Protocol, TextIO

from qmpsh.core.output import emit
from qmpsh.core.sanitize import Inert, visible


class LiveArea(Protocol):
    """The interactive shell's live area (`qmpsh.shell.state.Shell` is one,
    and its `qmpsh.builtins.context.Frontend.live`): it draws the lines
    itself, above its prompt, while the built-in runs."""

    def live(self, text: str | None) -> None: ...

    def out(self, text: str) -> None: ...


class LiveLines:
    """A block of lines redrawn in place on a terminal (or in the shell's
    live *area*); inert without either."""

    def __init__(self, stream: TextIO | None, area: LiveArea | None = None) -> None:
        self.stream = None if area is not None else stream
        self.area = area
        self.shown = 0
        self._last: list[str] = []

    def width(self) -> int:
        return max(20, shutil.get_terminal_size((80, 24)).columns - 1)

    def show(self, lines: Sequence[str]) -> None:
        if self.area is not None:
            self._last = [visible(line)[: self.width()] for line in lines]
            self.area.live("\n".join(self._last))
            return
        if self.stream is None:
            return
        width = self.width()
        out = ""
        if self.shown > 1:
            out += f"\x1b[{self.shown - 1}A"
        out += "\r"
        rows = [visible(line)[:width] for line in lines] or [""]
        for i in range(max(len(rows), self.shown)):
            text = rows[i] if i < len(rows) else ""
            out += (
                text + "\x1b[K" + ("\n" if i < max(len(rows), self.shown) - 1 else "")
            )
        self.shown = max(len(rows), self.shown)
        emit(self.stream, Inert(out))  # the rows made visible, our own codes
        self.stream.flush()

    def clear(self) -> None:
        """Erase the lines and put the cursor where the first one was."""
        if self.stream is None or not self.shown:
            return
        up = f"\x1b[{self.shown - 1}A" if self.shown > 1 else ""
        emit(self.stream, Inert(up + "\r\x1b[J"))
        self.stream.flush()
        self.shown = 0

    def close(self) -> None:
        """Leave the last drawing on screen and move below it."""
        if self.area is not None and self._last:
            self.area.live(None)
            self.area.out("\n".join(self._last))
            self._last = []
        if self.stream is not None and self.shown:
            emit(self.stream, "\n")
            self.stream.flush()
        self.shown = 0


def terminal_stream() -> TextIO | None:
    """Where live progress goes outside the shell: stderr when it is a
    terminal (stdout carries the JSON lines), else nowhere."""
    return sys.stderr if sys.stderr.isatty() else None
