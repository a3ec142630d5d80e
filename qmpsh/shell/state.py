"""The interactive shell's state and behaviour, apart from how it is drawn.

`Shell` is what the key bindings, the layout and the toolbar work on: the
input buffer, the run-time toggles, the message under the input, the live
area, the events shown, the connection's state.  It is what a running job
works through (`qmpsh.builtins.linemode.ShellApi`: sending with the checks
before, showing replies, printing) and, while the shell runs, the session's
front end (`frontend`).  Three parts have modules of their own: what Enter
does, the queue and the running job (`qmpsh.shell.submit.Submitter`), the
question asked on the prompt line (`qmpsh.shell.question.Question`), and
the events shown, the redraws for background changes and the toggles' keys
(`qmpsh.shell.display.Display`).
Layout, keys and toolbar are built from it by factories in their own
modules; `qmpsh.shell.app` puts them together.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Collection
from typing import Any

from prompt_toolkit.application import Application
from prompt_toolkit.buffer import Buffer

from qmpsh.builtins.aliases import table as alias_table
from qmpsh.builtins.context import Context, Frontend
from qmpsh.builtins.linemode import Declined, LineMode
from qmpsh.core.errors import BadRequest, NotConnected
from qmpsh.core.exitcodes import Exit
from qmpsh.core.render import (
    error_line,
    highlight_json,
    is_error,
    render_json,
)
from qmpsh.core.sanitize import Inert, visible
from qmpsh.shell.danger import confirmation, is_quit, quit_refused
from qmpsh.shell.display import Display
from qmpsh.shell.modes_api import Hooks
from qmpsh.shell.printer import Printer
from qmpsh.shell.prompt import fit_prompt
from qmpsh.shell.question import Question
from qmpsh.shell.status import Link
from qmpsh.shell.submit import Submitter
from qmpsh.shell.toggles import Toggles
from qmpsh.wire.late_replies import stopped_waiting
from qmpsh.wire.reconnect import Reopen


class Shell:
    """The interactive shell, for one session (see the module's docstring)."""

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
        #: the question on the prompt line (the layout sets its window)
        self.asking = Question(lambda: self.app, self.invalidate)
        #: what Enter does; the running job and the lines queued behind it
        self.submitter = Submitter(self)
        #: the events shown, background redraws, the toggles' keys
        self.display = Display(self)
        #: who a confirmation names as the request's recipient instead of
        #: the server, while a line runs on several targets
        self.addressee: str | None = None
        #: whether lines may start with ``@NAME`` (a shell open on several
        #: targets): highlighted apart from the command after it
        self.at_prefixes = False

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
        """Whether a job runs."""
        return self.submitter.busy

    @property
    def queue(self) -> deque[str]:
        """The lines entered while a job runs, to run after it in order."""
        return self.submitter.queue

    @property
    def question(self) -> str | None:
        """The question on the prompt line, while one is asked."""
        return self.asking.text

    def command_names(self) -> Collection[str] | None:
        if self.hooks.command_names is not None:
            names = self.hooks.command_names()
            if names is not None:
                return names
        return self.link.target.commands

    def prompt(self) -> str:
        return self.line_mode.prompt() or self.link.target.prompt(self.line_mode.mode)

    def shown_prompt(self) -> str:
        """The prompt as the input line shows it: made visible, and
        shortened on a narrow screen (`fit_prompt`)."""
        columns = self.app.output.get_size().columns if self.app is not None else 80
        return fit_prompt(visible(self.prompt()), columns)

    def invalidate(self) -> None:
        if self.app is not None:
            self.app.invalidate()

    def frontend(self) -> Frontend:
        """The session's front end while the shell runs: built-ins print
        above the prompt (and in its live area), ask on the prompt line, and
        what they send for the user goes through `gate`."""
        return Frontend(
            self,
            self.gate,
            self.confirm,
            self,
            lambda: self.toggles.pretty,
            self._indent,
        )

    def _indent(self, pretty: bool) -> None:
        """The ``output json|pretty`` built-in: F2's toggle, set."""
        self.toggles.pretty = pretty

    # -- ShellApi ----------------------------------------------------------

    async def vet(self, message: dict[str, Any]) -> None:
        """Ask first when *message* is a dangerous command (once per job: a
        ``watch`` asks before its first run only).  A request the policy
        refuses (``--read-only``...) is refused before any question."""
        self.ctx.conn.check(message)
        s = self.settings
        if s.confirm:
            what = confirmation(message, s.confirm_commands, s.confirm_hmp)
            confirmed = self.submitter.confirmed
            if what is None or what in confirmed:
                return
            to = self.addressee or self.link.server()
            if not await self.confirm(f"Send {what} to {to}? [y/N] "):
                raise Declined(what)
            confirmed.add(what)

    async def send(self, message: dict[str, Any]) -> dict[str, Any]:
        await self.vet(message)
        if self.toggles.verbose:
            from qmpsh.lang.redact import shown

            self.printer.block(self._json(shown(message, self.settings.redact)))
        self.ctx.sent()
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
        still run the request: the job's note says so (see
        `qmpsh.shell.submit.Submitter.start`), and a quit stays expected."""
        quitting = is_quit(message)
        self.link.quitting = quitting  # the connection may close before the reply
        try:
            reply = await self.ctx.conn.execute(message, self.settings.timeout)
        except asyncio.CancelledError:
            self.submitter.left = stopped_waiting(message, self.ctx.conn.guest_agent)
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
        if not self.settings.raw_agent and command.startswith("guest-"):
            from qmpsh.schema.agent_data import with_text

            reply = with_text(reply, command)
        from qmpsh.core.query import QueryError
        from qmpsh.shell.sinks import is_json, reply_text

        try:  # -o, --query (qmpsh.shell.sinks)
            text = reply_text(self, reply, self._columns())
        except QueryError as err:
            self.printer.error(f"--query: {err}")
            return int(Exit.COMMAND_ERROR)
        if self.color and is_json(self):
            text = highlight_json(text, self.settings.style)
        if text:
            self.printer.block(text, page=True)
        return int(Exit.OK)

    def _columns(self) -> int:
        """The screen's width (80 before the app runs)."""
        return self.app.output.get_size().columns if self.app is not None else 80

    def out(self, text: str) -> None:
        self.printer.line(text)

    def err(self, text: str) -> None:
        self.printer.error(text)

    def live(self, text: str | None) -> None:
        self.live_text = text
        self.invalidate()

    async def confirm(self, question: str) -> bool:
        """Ask *question* on the prompt line; True for yes."""
        return await self.asking.ask(question)

    def answer(self, yes: bool) -> None:
        """Answer the question (the keys do)."""
        self.asking.answer(yes)

    def _json(self, value: Any) -> str:
        text = render_json(value, self.toggles.pretty)
        return highlight_json(text, self.settings.style) if self.color else text

    # -- Enter, Ctrl-C, Ctrl-D ---------------------------------------------

    def submit(self) -> None:
        """Enter: see `qmpsh.shell.submit.Submitter.submit`."""
        self.submitter.submit()

    def echo(self, text: str) -> str:
        """The prompt and the command as they looked, for the scrollback
        (made visible first: a pasted line may hold control characters,
        the prompt the server's machine name)."""
        prompt = visible(self.prompt())
        text = visible(text)
        lines = text.split("\n")
        if self.color and text.strip() and self.line_mode.mode == "qmp":
            from pygments import highlight

            from qmpsh.core.render import terminal_formatter
            from qmpsh.lang.lexer import ShorthandLexer

            lexer = ShorthandLexer(
                commands=self.command_names(),
                builtins=_builtin_names() | set(alias_table(self.ctx)),
                stripnl=False,
                ensurenl=False,
            )
            head, text = self.at_prefix(text)
            coloured = highlight(text, lexer, terminal_formatter(self.settings.style))
            lines = [line + "\x1b[0m" for line in coloured.split("\n")]
            if head:
                lines[0] = f"\x1b[1m{head}\x1b[0m{lines[0]}"
            prompt = f"\x1b[1m{prompt}\x1b[0m"
        cont = continuation(len(visible(self.prompt())))
        return Inert(
            "\n".join([prompt + lines[0], *(cont + line for line in lines[1:])])
        )

    def at_prefix(self, text: str) -> tuple[str, str]:
        """(the ``@TARGET`` prefix with the ``!`` and the blanks around it,
        the rest) of *text* (`qmpsh.lang.anatomy`), to highlight the rest
        as a command; ("", *text*) without one, or in a shell open on one
        target (see `at_prefixes`), or when the prefix is a line of its own."""
        if not self.at_prefixes:
            return "", text
        from qmpsh.lang.anatomy import anatomy

        parts = anatomy(text)
        if parts.target is None or "\n" in text[: parts.body]:
            return "", text  # the echo puts the prefix on the first line
        return text[: parts.body], text[parts.body :]

    def interrupt(self) -> None:
        """Ctrl-C: answer no or cancel the running job (and drop the queued
        lines), or clear the input."""
        submitter = self.submitter
        if self.question is not None:
            submitter.drop_queue()
            self.answer(False)
        elif submitter.busy:
            submitter.drop_queue()
            submitter.cancel()
        elif submitter.queue:
            submitter.drop_queue()
            submitter.next_queued()
        elif self.buffer.text or self.message or self.buffer.complete_state:
            self.buffer.reset()
            self.message = None
        else:
            self.say("note", "Ctrl-D on an empty line quits")

    def quit(self) -> None:
        self.submitter.drop_queue()
        self.submitter.cancel()
        if self.app is not None and self.app.is_running:
            self.app.exit(result=int(Exit.OK))

    def close(self) -> None:
        """Stop what runs in the background (the app has gone)."""
        self.submitter.close()
        self.link.close()

    def say(self, kind: str, text: str) -> None:
        """One line under the input, until the text changes."""
        self.message = (kind, text)
        self.invalidate()

    def _text_changed(self, _: Buffer) -> None:
        self.message = None

    # -- keys besides the toggles' (`display`) ------------------------------

    def show_keys(self) -> None:
        from qmpsh.builtins.keytable import keys_text

        self.printer.block(keys_text())

    def reconnect_now(self) -> None:
        why_not = self.link.reconnect_now()
        if why_not is not None:
            self.say("note", why_not)

    # -- the connection ------------------------------------------------------

    def _connection_back(self) -> None:
        self.message = None  # e.g. "not connected"


def continuation(width: int) -> str:
    return "... ".rjust(max(width, 4))


def _builtin_names() -> frozenset[str]:
    from qmpsh.builtins.registry import MODULES

    return frozenset(MODULES)
