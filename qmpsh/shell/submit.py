"""What Enter does in the shell, and the command it starts.

`Submitter` owns the shell's submit and queue logic: on Enter it asks the
line mode what the text is (`qmpsh.builtins.linemode.LineMode.check`), goes
on to a new line for an unfinished command, says under the input why the
text is not run (Enter again may run it anyway), or echoes the text, keeps
it in the history and starts its job.  One job runs at a time (the toolbar
shows its spinner; Ctrl-C cancels it); text entered meanwhile is queued and
taken in turn once it ends, as if Enter were pressed on it then.

The job does its work through the shell (`qmpsh.shell.state.Shell`, the
`qmpsh.builtins.linemode.ShellApi`), which also draws what is here: the
running command in the toolbar, the queued lines under the input.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import TYPE_CHECKING

from prompt_toolkit.buffer import Buffer
from prompt_toolkit.document import Document

from qmpsh.builtins.linemode import Declined, Problem, Run
from qmpsh.core.errors import ConnectionLost, QmpshError
from qmpsh.lang.parser import Incomplete
from qmpsh.shell.typeahead import dropped_note

if TYPE_CHECKING:
    from qmpsh.shell.state import Shell


class Submitter:
    """Enter, the queue and the running job, for one shell."""

    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self.task: asyncio.Task[None] | None = None
        #: lines entered while a command runs, to run after it in order
        self.queue: deque[str] = deque()
        #: queued lines that Ctrl-C dropped, to be said once the command ends
        self._dropped: list[str] = []
        #: the running command's label, and when it started
        self.running = ""
        self.running_since = 0.0
        #: (text, problem) that Enter again on the unchanged text runs anyway
        self._forceable: tuple[str, str] | None = None
        self._ticker: asyncio.Task[None] | None = None
        #: for the running job: the dangerous commands the user said yes to
        #: (see `qmpsh.shell.state.Shell.vet`), and the line for a request
        #: left waiting for its reply by Ctrl-C
        self.confirmed: set[str] = set()
        self.left: str | None = None
        shell.buffer.on_text_changed += self._text_changed

    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.done()

    def submit(self) -> None:
        """Enter: run the text, continue it on a new line, or say what is
        wrong; while a command runs, queue the text to run after it."""
        buffer = self.shell.buffer
        text = buffer.text
        if self._too_long(text):
            return
        if self.busy or self.queue:
            self._enqueue(text)
            return
        check = self.shell.line_mode.check(text)
        if isinstance(check, Incomplete):
            self._continue_line()
            return
        if isinstance(check, Problem):
            if check.force is not None and self._forceable == (text, check.message):
                self._accept(text, check.force)
                return
            self._show_problem(text, check)
            return
        self._accept(text, check)

    def _too_long(self, text: str) -> bool:
        """Whether *text* is longer than ``--line-limit`` bytes (then said,
        and left in the input, not run: it may be cut down)."""
        limit = self.shell.settings.line_limit
        if len(text) * 4 <= limit or len(text.encode()) <= limit:
            return False
        self.shell.say(
            "error", f"the input is longer than {limit} bytes (--line-limit): not run"
        )
        return True

    def _continue_line(self) -> None:
        buffer = self.shell.buffer
        buffer.cursor_position = len(buffer.text)
        buffer.insert_text("\n")

    def _show_problem(self, text: str, problem: Problem) -> None:
        """Say why *text*, in the input, is not run (Enter again runs it
        anyway when the problem allows it)."""
        hint = ""
        if problem.force is not None:
            bang = ", or a leading !," if self.shell.line_mode.mode == "qmp" else ""
            hint = f" (Enter again{bang} sends it anyway)"
        self.shell.say("error", problem.message + hint)
        self._forceable = (text, problem.message) if problem.force is not None else None
        if problem.offset is not None:
            self.shell.buffer.cursor_position = min(problem.offset, len(text))

    def _enqueue(self, text: str) -> None:
        """Enter while a command runs: the text is queued as it is, to be
        taken as if Enter were pressed on it when its turn comes (a blank
        line is nothing to run; an unfinished command goes on to a new line
        as always)."""
        if not text.strip():
            return
        if isinstance(self.shell.line_mode.check(text), Incomplete):
            self._continue_line()
            return
        self.queue.append(text)
        self.shell.buffer.reset()
        self.shell.message = None
        self.shell.invalidate()

    def _accept(self, text: str, run: Run) -> None:
        self.shell.buffer.reset()
        self.shell.message = None
        self._launch(text, run)

    def _launch(self, text: str, run: Run) -> None:
        """Echo *text*, keep it in the history and start its job."""
        kept = text.rstrip("\n")  # a paste's last newline is no line of its own
        self.shell.printer.block(self.shell.echo(kept))
        history = self.shell.buffer.history
        if kept.strip() and history.get_strings()[-1:] != [kept]:
            history.append_string(kept)
        if run.job is not None:
            self.start(run)

    def next_queued(self) -> None:
        """After a command: run the queued lines in turn.  One that cannot
        run (not connected, a parse error, a refusal) comes back into the
        input with the lines queued after it, before what is being typed,
        and the reason under it; nothing more runs until Enter."""
        shell = self.shell
        if self._dropped:
            shell.printer.note(dropped_note(self._dropped))
            self._dropped = []
        while self.queue and not self.busy and shell.app is not None:
            text = self.queue.popleft()
            check = shell.line_mode.check(text)
            if isinstance(check, Run):
                self._launch(text, check)
                continue
            back = "\n".join([text, *self.queue])
            self.queue.clear()
            typed = shell.buffer.document
            combined = f"{back}\n{typed.text}" if typed.text else back
            # the cursor stays where it was in what is being typed
            cursor = len(combined) - len(typed.text) + typed.cursor_position
            shell.buffer.document = Document(combined, cursor)
            if isinstance(check, Problem):
                self._show_problem(combined, check)
            shell.invalidate()

    def drop_queue(self) -> None:
        """Drop the queued lines (said once the running command ends)."""
        self._dropped.extend(self.queue)
        self.queue.clear()

    def start(self, run: Run) -> None:
        assert run.job is not None
        job = run.job
        shell = self.shell
        self.running = run.label or "command"
        self.running_since = time.monotonic()
        cancelled = run.cancelled or f"{self.running}: cancelled"
        self.confirmed = set()
        self.left = None

        async def go() -> None:
            try:
                await job(shell)
            except asyncio.CancelledError:
                # a request already sent cannot be cancelled: say so
                shell.printer.note(self.left or cancelled)
            except Declined as what:
                shell.printer.note(f"{what} was not sent")
            except ConnectionLost as err:
                # the shell has said why the connection went; say what it cost
                said = bool(err.message) and err.message == shell.ctx.conn.lost_reason
                shell.printer.error(
                    f"{self.running}: no reply, the connection was lost"
                    if said
                    else err.message
                )
            except QmpshError as err:
                shell.printer.error(err.message)
            except Exception as err:  # a bug: one line, and the shell goes on
                shell.printer.error(
                    f"{self.running}: internal error: {type(err).__name__}: {err}"
                )
            finally:
                self.running = ""
                shell.live_text = None
                if self._ticker is not None:
                    self._ticker.cancel()
                shell.invalidate()

        self.task = asyncio.ensure_future(go())
        self.task.add_done_callback(lambda _: self.next_queued())
        self._ticker = asyncio.ensure_future(self._tick())

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(0.1)
            self.shell.invalidate()

    def cancel(self) -> None:
        """Cancel the running job, if any (the queue stays)."""
        if self.task is not None:
            self.task.cancel()

    def close(self) -> None:
        """Stop the running job and the spinner's ticks (the app has gone)."""
        for task in (self.task, self._ticker):
            if task is not None:
                task.cancel()

    def _text_changed(self, _: Buffer) -> None:
        self._forceable = None
