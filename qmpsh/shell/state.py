"""The interactive shell's state and behaviour, apart from how it is drawn.

`Shell` is what the key bindings, the layout and the toolbar work on: the
input buffer, the run-time toggles, the running job and the lines queued
behind it, the question being asked, the connection's state.  It implements
`qmpsh.builtins.linemode.ShellApi` for jobs.  Layout, keys and toolbar are built from it
by factories in their own modules; `qmpsh.shell.app` puts them together.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Collection
from typing import Any

from prompt_toolkit.application import Application
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.document import Document
from prompt_toolkit.enums import EditingMode
from prompt_toolkit.layout import Window

from qmpsh.builtins.context import Context, Frontend
from qmpsh.builtins.linemode import Declined, LineMode, Problem, Run
from qmpsh.core.errors import BadRequest, ConnectionLost, NotConnected, QmpshError
from qmpsh.core.exitcodes import Exit
from qmpsh.core.render import (
    error_line,
    event_line,
    highlight_json,
    is_error,
    render_json,
    render_reply,
)
from qmpsh.lang.parser import Incomplete
from qmpsh.shell.danger import confirmation, is_quit, quit_refused
from qmpsh.shell.eventpane import ShownCount
from qmpsh.shell.modes_api import Hooks
from qmpsh.shell.printer import Printer
from qmpsh.shell.status import Link
from qmpsh.shell.toggles import Toggles
from qmpsh.shell.typeahead import dropped_note
from qmpsh.wire.eventlog import Event
from qmpsh.wire.late_replies import stopped_waiting
from qmpsh.wire.reconnect import Reopen

#: seconds between two redraws for background changes (events, job progress)
BACKGROUND_REDRAW = 0.05


class Shell:
    def __init__(
        self,
        ctx: Context,
        hooks: Hooks,
        line_mode: LineMode,
        printer: Printer,
        buffer: Buffer,
        color: bool,
        reopen: Reopen | None = None,
    ) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self.hooks = hooks
        #: how a submitted line is understood (QMP shorthand, or HMP)
        self.line_mode = line_mode
        self.printer = printer
        self.buffer = buffer
        self.color = color
        self.app: Application[int] | None = None
        s = ctx.settings
        self.toggles = Toggles(
            s.pretty,
            s.verbose,
            s.event_display,
            s.event_pane_height,
            s.key_mode == "vi",
        )
        #: one line under the input: (style class, text), or None
        self.message: tuple[str, str] | None = None
        #: the live area above the prompt (see `live`), or None
        self.live_text: str | None = None
        #: the question on the prompt line, while one is asked
        self.question: str | None = None
        #: the window showing the question (the layout sets it): it takes the
        #: keyboard focus while a question is asked, so that no key edits the
        #: input then
        self.question_window: Window | None = None
        self._answer: asyncio.Future[bool] | None = None
        self._focused: Window | None = None
        self.task: asyncio.Task[None] | None = None
        #: lines entered while a command runs, to run after it in order
        self.queue: deque[str] = deque()
        #: queued lines that Ctrl-C dropped, to be said once the command ends
        self._dropped: list[str] = []
        self.running = ""
        self.running_since = 0.0
        self._forceable: tuple[str, str] | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._redraw_due = False
        self._shown = ShownCount()
        #: the most event lines the screen has room for (see
        #: `qmpsh.shell.eventpane.pane_room`), as of the last redraw; None before
        self.pane_room: int | None = None
        #: for the running job: the dangerous commands the user said yes to,
        #: and the line for a request left waiting for its reply by Ctrl-C
        self._confirmed: set[str] = set()
        self._left: str | None = None

        self.link = Link(
            ctx.conn,
            printer,
            s.retries,
            s.retry_delay,
            reopen,
            self.invalidate,
            self._connection_back,
        )
        buffer.on_text_changed += self._text_changed

    # -- facts for the layout and toolbar ----------------------------------

    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.done()

    def command_names(self) -> Collection[str] | None:
        if self.hooks.command_names is not None:
            names = self.hooks.command_names()
            if names is not None:
                return names
        return self.link.target.commands

    def prompt(self) -> str:
        return self.line_mode.prompt() or self.link.target.prompt(self.line_mode.mode)

    def invalidate(self) -> None:
        if self.app is not None:
            self.app.invalidate()

    def frontend(self) -> Frontend:
        """The session's front end while the shell runs: built-ins print
        above the prompt (and in its live area), ask on the prompt line, and
        what they send for the user goes through `gate`."""
        return Frontend(self, self.gate, self.confirm, self)

    # -- ShellApi ----------------------------------------------------------

    async def vet(self, message: dict[str, Any]) -> None:
        """Ask first when *message* is a dangerous command (once per job: a
        ``watch`` asks before its first run only)."""
        s = self.settings
        if s.confirm:
            what = confirmation(message, s.confirm_commands, s.confirm_hmp)
            if what is None or what in self._confirmed:
                return
            if not await self.confirm(f"Send {what} to {self.link.server()}? [y/N] "):
                raise Declined(what)
            self._confirmed.add(what)

    async def send(self, message: dict[str, Any]) -> dict[str, Any]:
        await self.vet(message)
        if self.toggles.verbose:
            self.printer.block(self._json(message))
        self.ctx.mark = self.ctx.events.seq
        return await self._deliver(message)

    async def gate(self, message: dict[str, Any]) -> dict[str, Any]:
        """`qmpsh.builtins.context.Frontend.gate`: a request a built-in
        sends for the user (``hmp``, ``watch``, HMP mode) is vetted as a typed
        one is."""
        await self.vet(message)
        return await self._deliver(message)

    async def _deliver(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send a vetted request.  After a quit, losing the connection is
        expected, unless the server refused it.  On Ctrl-C the server may
        still run the request: the job's note says so (see `start`), and a
        quit stays expected."""
        quitting = is_quit(message)
        self.link.quitting = quitting  # the connection may close before the reply
        try:
            reply = await self.ctx.conn.execute(message, self.settings.timeout)
        except asyncio.CancelledError:
            self._left = stopped_waiting(message, self.ctx.conn.guest_agent)
            raise
        except (BadRequest, NotConnected):
            self.link.quitting = False  # not sent
            raise
        if quitting and quit_refused(reply):
            self.link.quitting = False
        return reply

    def show_reply(self, reply: dict[str, Any], command: str = "") -> int:
        self.ctx.session.last_reply = reply
        if is_error(reply):
            line = None
            if command and self.ctx.conn.guest_agent:
                from qmpsh.schema.agent import explain

                line = explain(reply, command)
            self.printer.error(line or error_line(reply))
            if self.toggles.verbose:
                self.printer.block(self._json(reply))
            return int(Exit.COMMAND_ERROR)
        text = render_reply(
            reply, pretty=self.toggles.pretty, return_value=self.settings.return_value
        )
        self.printer.block(
            highlight_json(text, self.settings.style) if self.color else text, page=True
        )
        return int(Exit.OK)

    def out(self, text: str) -> None:
        self.printer.line(text)

    def err(self, text: str) -> None:
        self.printer.error(text)

    def live(self, text: str | None) -> None:
        self.live_text = text
        self.invalidate()

    def shown(self, event: Event) -> bool:
        """Whether the pane (or inline display) shows *event*."""
        keep = self.hooks.event_filter
        return keep is None or keep(event)

    def event_counts(self) -> tuple[int, int]:
        """(events held, how many of them `shown` lets through), for the
        pane's title; counted over the history only when the filter in
        force has changed."""
        events = self.ctx.events
        return len(events), self._shown.count(events, self.shown, self._filter())

    def _filter(self) -> object:
        """Names the event filter `shown` applies."""
        key = self.hooks.event_filter_key
        return None if key is None else key()

    async def confirm(self, question: str) -> bool:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[bool] = loop.create_future()
        self._answer = answer
        self.question = question
        self._focus_question()
        self.invalidate()
        try:
            return await answer
        finally:
            if self._answer is answer:
                self._close_question()

    def answer(self, yes: bool) -> None:
        """Answer the question; the keys typed after the answer go to the
        input at once, even before the job asking has gone on."""
        if self._answer is not None and not self._answer.done():
            self._answer.set_result(yes)
            self._close_question()

    def _focus_question(self) -> None:
        if self.app is None or self.question_window is None:
            return
        layout = self.app.layout
        self._focused = layout.current_window
        layout.focus(self.question_window)

    def _close_question(self) -> None:
        self.question = None
        self._answer = None
        focused, self._focused = self._focused, None
        if self.app is not None and focused is not None:
            self.app.layout.focus(focused)
        self.invalidate()

    def _json(self, value: Any) -> str:
        text = render_json(value, self.toggles.pretty)
        return highlight_json(text, self.settings.style) if self.color else text

    # -- Enter, Ctrl-C, Ctrl-D ---------------------------------------------

    def submit(self) -> None:
        """Enter: run the text, continue it on a new line, or say what is
        wrong; while a command runs, queue the text to run after it."""
        text = self.buffer.text
        if self.busy or self.queue:
            self._enqueue(text)
            return
        check = self.line_mode.check(text)
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

    def _continue_line(self) -> None:
        self.buffer.cursor_position = len(self.buffer.text)
        self.buffer.insert_text("\n")

    def _show_problem(self, text: str, problem: Problem) -> None:
        """Say why *text*, in the input, is not run (Enter again runs it
        anyway when the problem allows it)."""
        hint = ""
        if problem.force is not None:
            bang = ", or a leading !," if self.line_mode.mode == "qmp" else ""
            hint = f" (Enter again{bang} sends it anyway)"
        self.say("error", problem.message + hint)
        self._forceable = (text, problem.message) if problem.force is not None else None
        if problem.offset is not None:
            self.buffer.cursor_position = min(problem.offset, len(text))

    def _enqueue(self, text: str) -> None:
        """Enter while a command runs: the text is queued as it is, to be
        taken as if Enter were pressed on it when its turn comes (a blank
        line is nothing to run; an unfinished command goes on to a new line
        as always)."""
        if not text.strip():
            return
        if isinstance(self.line_mode.check(text), Incomplete):
            self._continue_line()
            return
        self.queue.append(text)
        self.buffer.reset()
        self.message = None
        self.invalidate()

    def _accept(self, text: str, run: Run) -> None:
        self.buffer.reset()
        self.message = None
        self._launch(text, run)

    def _launch(self, text: str, run: Run) -> None:
        """Echo *text*, keep it in the history and start its job."""
        kept = text.rstrip("\n")  # a paste's last newline is no line of its own
        self.printer.block(self.echo(kept))
        history = self.buffer.history
        if kept.strip() and history.get_strings()[-1:] != [kept]:
            history.append_string(kept)
        if run.job is not None:
            self.start(run)

    def _next_queued(self) -> None:
        """After a command: run the queued lines in turn.  One that cannot
        run (not connected, a parse error, a refusal) comes back into the
        input with the lines queued after it, before what is being typed,
        and the reason under it; nothing more runs until Enter."""
        if self._dropped:
            self.printer.note(dropped_note(self._dropped))
            self._dropped = []
        while self.queue and not self.busy and self.app is not None:
            text = self.queue.popleft()
            check = self.line_mode.check(text)
            if isinstance(check, Run):
                self._launch(text, check)
                continue
            back = "\n".join([text, *self.queue])
            self.queue.clear()
            typed = self.buffer.document
            combined = f"{back}\n{typed.text}" if typed.text else back
            # the cursor stays where it was in what is being typed
            cursor = len(combined) - len(typed.text) + typed.cursor_position
            self.buffer.document = Document(combined, cursor)
            if isinstance(check, Problem):
                self._show_problem(combined, check)
            self.invalidate()

    def _drop_queue(self) -> None:
        self._dropped.extend(self.queue)
        self.queue.clear()

    def echo(self, text: str) -> str:
        """The prompt and the command as they looked, for the scrollback."""
        prompt = self.prompt()
        lines = text.split("\n")
        if self.color and text.strip() and self.line_mode.mode == "qmp":
            from pygments import highlight

            from qmpsh.core.render import terminal_formatter
            from qmpsh.lang.lexer import ShorthandLexer

            lexer = ShorthandLexer(
                commands=self.command_names(),
                builtins=_builtin_names(),
                stripnl=False,
                ensurenl=False,
            )
            coloured = highlight(text, lexer, terminal_formatter(self.settings.style))
            lines = [line + "\x1b[0m" for line in coloured.split("\n")]
            prompt = f"\x1b[1m{prompt}\x1b[0m"
        cont = continuation(len(self.prompt()))
        return "\n".join([prompt + lines[0], *(cont + line for line in lines[1:])])

    def start(self, run: Run) -> None:
        assert run.job is not None
        job = run.job
        self.running = run.label or "command"
        self.running_since = time.monotonic()
        cancelled = run.cancelled or f"{self.running}: cancelled"
        self._confirmed = set()
        self._left = None

        async def go() -> None:
            try:
                await job(self)
            except asyncio.CancelledError:
                # a request already sent cannot be cancelled: say so
                self.printer.note(self._left or cancelled)
            except Declined as what:
                self.printer.note(f"{what} was not sent")
            except ConnectionLost as err:
                # the shell has said why the connection went; say what it cost
                said = bool(err.message) and err.message == self.ctx.conn.lost_reason
                self.printer.error(
                    f"{self.running}: no reply, the connection was lost"
                    if said
                    else err.message
                )
            except QmpshError as err:
                self.printer.error(err.message)
            except Exception as err:  # a bug: one line, and the shell goes on
                self.printer.error(
                    f"{self.running}: internal error: {type(err).__name__}: {err}"
                )
            finally:
                self.running = ""
                self.live_text = None
                if self._ticker is not None:
                    self._ticker.cancel()
                self.invalidate()

        self.task = asyncio.ensure_future(go())
        self.task.add_done_callback(lambda _: self._next_queued())
        self._ticker = asyncio.ensure_future(self._tick())

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(0.1)
            self.invalidate()

    def interrupt(self) -> None:
        """Ctrl-C: answer no or cancel the running job (and drop the queued
        lines), or clear the input."""
        if self.question is not None:
            self._drop_queue()
            self.answer(False)
        elif self.busy:
            assert self.task is not None
            self._drop_queue()
            self.task.cancel()
        elif self.queue:
            self._drop_queue()
            self._next_queued()
        elif self.buffer.text or self.message or self.buffer.complete_state:
            self.buffer.reset()
            self.message = None
        else:
            self.say("note", "Ctrl-D on an empty line quits")

    def quit(self) -> None:
        self._drop_queue()
        if self.task is not None:
            self.task.cancel()
        if self.app is not None and self.app.is_running:
            self.app.exit(result=int(Exit.OK))

    def close(self) -> None:
        """Stop what runs in the background (the app has gone)."""
        for task in (self.task, self._ticker):
            if task is not None:
                task.cancel()
        self.link.close()

    def say(self, kind: str, text: str) -> None:
        """One line under the input, until the text changes."""
        self.message = (kind, text)
        self.invalidate()

    def _text_changed(self, _: Buffer) -> None:
        self.message = None
        self._forceable = None

    # -- toggles -----------------------------------------------------------

    def toggle_pretty(self) -> None:
        self.toggles.pretty = not self.toggles.pretty

    def toggle_verbose(self) -> None:
        self.toggles.verbose = not self.toggles.verbose

    def cycle_events(self) -> None:
        self.toggles.cycle_events()

    def resize_pane(self, delta: int) -> None:
        if self.toggles.events != "pane":
            self.toggles.events = "pane"
        elif delta > 0 and self._pane_full():
            self.say("note", "no room for a taller event pane on this screen")
        else:
            self.toggles.resize(delta, self.pane_room)

    def _pane_full(self) -> bool:
        """Whether the pane shows all the lines the screen has room for."""
        return self.pane_room is not None and (
            self.toggles.pane_height >= self.pane_room
        )

    def toggle_vi(self) -> None:
        self.toggles.vi = not self.toggles.vi
        if self.app is not None:
            self.app.editing_mode = (
                EditingMode.VI if self.toggles.vi else EditingMode.EMACS
            )

    def show_keys(self) -> None:
        from qmpsh.builtins.keytable import keys_text

        self.printer.block(keys_text())

    def reconnect_now(self) -> None:
        why_not = self.link.reconnect_now()
        if why_not is not None:
            self.say("note", why_not)

    # -- events and the connection -----------------------------------------

    def on_event(self, event: Event) -> None:
        shown = self.shown(event)
        self._shown.arrived(event, shown, self._filter())
        if not shown:
            return
        if self.toggles.events == "inline":
            line = event_line(event.message, event.time)
            self.printer.block(line)
        elif self.toggles.events == "pane":
            self.redraw_soon()

    def redraw_soon(self) -> None:
        """Redraw for something that happened in the background (events, job
        progress): at most once per BACKGROUND_REDRAW seconds, so that a flood
        cannot keep the screen busy; keystrokes still redraw at once."""
        if not self._redraw_due:
            self._redraw_due = True
            asyncio.get_running_loop().call_later(BACKGROUND_REDRAW, self._redraw)

    def _redraw(self) -> None:
        self._redraw_due = False
        self.invalidate()

    def _connection_back(self) -> None:
        self.message = None  # e.g. "not connected"


def continuation(width: int) -> str:
    return "... ".rjust(max(width, 4))


def _builtin_names() -> frozenset[str]:
    from qmpsh.builtins.registry import MODULES

    return frozenset(MODULES)
