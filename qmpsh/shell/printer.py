"""Output above the prompt, in order, each block whole.

Everything the shell prints while the prompt is up (echoed commands,
replies, errors, built-ins' output, inline events) goes through one
`Printer`.  A single writer task takes the queued blocks in order and writes
them while prompt_toolkit has the input line erased (``in_terminal``), so an
event or a redraw can never land inside a reply.  Lines printed one at a
time by built-ins are gathered into one block, so a thousand ``out`` calls
make one write (and one pager run when they do not fit on the screen).

Every block passes the output gate (`qmpsh.core.sanitize.shown`) as it is
queued, before the pager or the terminal sees it: text from the server
shows its control characters instead of obeying them.  Colour that the
shell adds itself comes as `qmpsh.core.sanitize.Inert` text (`error`,
`note`, the highlighted replies and echoes).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections import deque
from dataclasses import dataclass
from typing import Any

from prompt_toolkit.application import Application
from prompt_toolkit.application.run_in_terminal import in_terminal
from prompt_toolkit.output import Output

from qmpsh.core.sanitize import painted, shown
from qmpsh.shell.pager import fit_pager, rows_needed, run_pager

ERROR = "\x1b[31m"
NOTE = "\x1b[2m"
RESET = "\x1b[0m"


@dataclass(frozen=True)
class _Block:
    text: str
    page: bool = False


class Printer:
    def __init__(self, output: Output, color: bool, pager: list[str] | None) -> None:
        self.output = output
        self.color = color
        #: the pager command, or None not to page
        self.pager = pager
        self._app: Application[object] | None = None
        self._queue: deque[_Block] = deque()
        self._lines: list[str] = []
        self._lines_scheduled = False
        self._wake: asyncio.Event | None = None

    # -- what callers use --------------------------------------------------

    def block(self, text: str, page: bool = False) -> None:
        """Print *text* as one block (made visible, unless it is `Inert`
        text: coloured by the shell itself)."""
        self._flush_lines()
        self._put(_Block(text, page))

    def line(self, text: str) -> None:
        """Print a line; consecutive lines are written (and paged) together."""
        self._lines.append(text)
        if not self._lines_scheduled:
            self._lines_scheduled = True
            try:
                asyncio.get_running_loop().call_soon(self._flush_lines)
            except RuntimeError:
                self._flush_lines()

    def error(self, text: str) -> None:
        self.block(painted(text, ERROR, RESET) if self.color else text)

    def note(self, text: str) -> None:
        self.block(painted(text, NOTE, RESET) if self.color else text)

    # -- the writer --------------------------------------------------------

    async def run(self, app: Application[object]) -> None:
        """The writer task, for the life of *app*."""
        self._app = app
        self._wake = asyncio.Event()
        try:
            while True:
                if not self._queue:
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                async with in_terminal():
                    await self._write_queued()
        finally:
            self._app = None
            self._wake = None

    def finish(self) -> None:
        """After the app has gone: write what is left straight out."""
        self._flush_lines()
        while self._queue:
            self._write(self._queue.popleft().text)

    def _put(self, block: _Block) -> None:
        # the output gate: whatever is queued is safe for the terminal
        self._queue.append(_Block(shown(block.text), block.page))
        if self._wake is not None:
            self._wake.set()
        elif self._app is None:
            self.finish()

    def _flush_lines(self) -> None:
        self._lines_scheduled = False
        if self._lines:
            text = "\n".join(self._lines)
            self._lines = []
            self._put(_Block(text, page=True))

    async def _write_queued(self) -> None:
        while self._queue:
            block = self._queue.popleft()
            if block.page and self._too_tall(block.text):
                assert self.pager is not None
                self.output.flush()
                loop = asyncio.get_running_loop()
                # Ctrl-C in the pager is the pager's (the terminal is in
                # cooked mode, so it is a SIGINT to us as well)
                previous = _ignore_sigint()
                try:
                    argv = fit_pager(self.pager, block.text, self._width())
                    failed = await loop.run_in_executor(
                        None, run_pager, argv, block.text
                    )
                finally:
                    if previous is not None:
                        signal.signal(signal.SIGINT, previous)
                if failed is None:
                    continue
                self.pager = None
                self._write(block.text)
                self._write(
                    painted(failed, ERROR, RESET) if self.color else shown(failed)
                )
                continue
            self._write(block.text)

    def _too_tall(self, text: str) -> bool:
        if self.pager is None:
            return False
        with contextlib.suppress(Exception):
            size = self.output.get_size()
            return rows_needed(text, size.columns) > size.rows - 2
        return False

    def _width(self) -> int:
        try:
            return self.output.get_size().columns
        except Exception:
            return 80

    def _write(self, text: str) -> None:
        self.output.write_raw(text + "\n")
        self.output.flush()


def _ignore_sigint() -> Any:
    """Ignore SIGINT; the handler it had, or None (not the main thread)."""
    try:
        return signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:
        return None
