"""What batch mode writes: replies on stdout, failures on stderr.

`qmpsh.batch.runner.BatchRunner` decides what is sent and when, and hands
each outcome here in input order; `ReplyWriter` decides how it looks: a
reply shaped by ``-o`` and ``--query`` (a `Large` one written piece by
piece), an error reply said on stderr, ``-v``'s echo of a request,
``--events``.  Everything goes through `qmpsh.core.output` (the output
gate).

Output that cannot be written stops the run: quietly when the reader went
away (``| head -1``), with one line for anything else (a full disk).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sized
from typing import TYPE_CHECKING, Any, TextIO

from qmpsh.batch.shaping import shaping
from qmpsh.core.exitcodes import Exit
from qmpsh.core.output import discard_output, emit, emit_json, failure
from qmpsh.core.query import QueryError
from qmpsh.core.render import (
    Large,
    error_line,
    highlight_json,
    is_error,
    render_json,
    render_reply,
)
from qmpsh.core.sanitize import PIECE

if TYPE_CHECKING:
    from qmpsh.builtins.context import Context
    from qmpsh.lang.parser import Request
    from qmpsh.wire.eventlog import Event


#: see `ReplyWriter.values`: (format, where, value); may raise `OSError`
ValueSink = Callable[[str, str, Any], None]


class ReplyWriter:
    """A batch run's output, and the exit status of what it said failed.

    *halt* stops the run (`BatchRunner._halt`): called after a failure
    unless ``--keep-going``, and when stdout cannot be written.
    """

    def __init__(
        self, ctx: Context, out: TextIO, err: TextIO, halt: Callable[[], None]
    ) -> None:
        self.ctx = ctx
        self.out = out
        self.err = err
        self.settings = ctx.settings
        self.color = ctx.settings.use_color(out.isatty())
        self._halt = halt
        #: the first failure's `Exit` code, or OK: the run's exit status
        self.status = Exit.OK
        #: stdout could not be written (see output_failed)
        self.output_lost = False
        #: a flush of printed events is scheduled (see _event)
        self._flush_due = False
        #: how replies are written (-o, --query): see `qmpsh.core.shape`
        self.shape = shaping(ctx, out)
        #: fan-out (`qmpsh.cli.fanout`): where the values of replies go in
        #: ``-o table``, ``yaml`` and ``csv`` (the format, the line's place,
        #: the value, --query applied), to be laid out with the other
        #: targets' rather than written here; None: written here
        self.values: ValueSink | None = None

    def reshape(self) -> None:
        """The ``output`` built-in changed -o or --query: follow it."""
        self.shape = shaping(self.ctx, self.out)

    # -- events --------------------------------------------------------------

    def follow_events(self) -> Callable[[], None]:
        """``--events``: print those that came while connecting, then each
        as it arrives; returns the call that stops it."""
        from qmpsh.core.eventfilter import current

        self._filter_in_force = current  # not imported per event
        for event in self.ctx.events:
            self._event(event)
        return self.ctx.events.subscribe(self._event)

    def _event(self, event: Event) -> None:
        """An event that passes the filter, as it arrives.

        It is flushed once the reader has handed over what it holds (a
        flood makes one write per batch, not per event): an event that
        comes while qmpsh waits for input must not wait for the next reply.
        """
        flt = self._filter_in_force(
            self.ctx.session.event_filter, self.settings.event_filter
        )
        if flt.matches(event.message):
            self._print(render_json(event.message, self.settings.pretty))
            if not self._flush_due:
                self._flush_due = True
                asyncio.get_running_loop().call_soon(self._flush_events)

    def _flush_events(self) -> None:
        self._flush_due = False
        self.flush()

    # -- requests and replies ------------------------------------------------

    def echo(
        self, where: str, request: Request, warning: str | None, waiting: bool
    ) -> None:
        """``-v``: *request* (from the line at *where*) as sent, its secrets
        redacted, with *warning* (that it uses something deprecated) on
        stderr.  Flushed when its reply is still to come (*waiting*)."""
        from qmpsh.lang.redact import shown

        message = shown(request.message, self.settings.redact)
        self._print(render_json(message, self.settings.pretty))
        if warning is not None:
            self.flush()
            emit(self.err, f"qmpsh: {where}: {warning}", "\n")
            self.err.flush()
        if waiting:
            self.flush()

    def reply(
        self,
        where: str,
        request: Request,
        reply: dict[str, Any],
        hint: str | None,
        after: Sized,
    ) -> None:
        """The *reply* to *request* (from the line at *where*).  An error
        reply is also said on stderr, with *hint*'s "did you mean", and
        counts the requests sent *after* it that stopping discards."""
        s = self.settings
        failed = is_error(reply)
        if not s.raw_agent and request.command.startswith("guest-"):
            from qmpsh.schema.agent_data import with_text

            reply = with_text(reply, request.command)
        if not failed:
            self._print_reply(where, request, reply)
        elif not s.return_value and self.shape.json:
            self._print(render_reply(reply, pretty=self.shape.fmt == "pretty"))
        if failed:
            said = error_line(reply)
            if hint is not None and "did you mean" in hint:
                said += "; " + hint[hint.index("did you mean") :]
            text = f"{where}: {request.command or 'request'}: {said}"
            if self.ctx.conn.guest_agent:
                from qmpsh.schema.agent import explain

                better = explain(reply, request.command)
                if better is not None:
                    text = f"{where}: {request.command}: {better}"
            n = len(after)
            if not s.keep_going and n:
                text += f" (stopped; {n} request{'s' if n > 1 else ''} already sent after it discarded)"
            self.report(Exit.COMMAND_ERROR, text)

    def _print_reply(self, where: str, request: Request, reply: dict[str, Any]) -> None:
        """A successful reply, shaped (-o, --query); a query that cannot be
        applied to it is said instead (exit code 1)."""
        if type(reply) is Large and self.shape.json and self.shape.query is None:
            # a reply of megabytes as JSON: never held as text
            s = self.settings
            value = reply["return"] if s.return_value and "return" in reply else reply
            self._print_large(value)
            return
        if self.values is not None and not self.shape.json:
            self._hand_on(where, request, reply, self.values)
            return
        try:
            text = self.shape.text(reply, self.settings.return_value)
        except QueryError as err:
            self._query_failed(where, request, err)
            return
        if text or self.shape.json:
            self._print(text, highlight=self.shape.json)

    def _hand_on(
        self, where: str, request: Request, reply: dict[str, Any], values: ValueSink
    ) -> None:
        """Fan-out's table, YAML or CSV: the value to *values* (see
        `values`), not written here."""
        try:
            value = self.shape.value(reply)
        except QueryError as err:
            self._query_failed(where, request, err)
            return
        try:
            values(self.shape.fmt, where, value)
        except OSError as err:
            self.output_failed(err)

    def _query_failed(self, where: str, request: Request, err: QueryError) -> None:
        command = request.command or "request"
        self.report(Exit.COMMAND_ERROR, f"{where}: {command}: --query: {err}")

    def _print(self, text: str, highlight: bool = True) -> None:
        # (pygments would take minutes on a text of megabytes)
        if self.color and highlight and len(text) <= PIECE:
            text = highlight_json(text, self.settings.style)
        try:
            emit(self.out, text, "\n")
        except OSError as err:
            self.output_failed(err)

    def _print_large(self, value: Any) -> None:
        """`_print` for the value of a `Large` reply, piece by piece (and
        without colour: pygments would take minutes on it)."""
        try:
            emit_json(self.out, value, self.shape.fmt == "pretty")
        except OSError as err:
            self.output_failed(err)

    # -- failures ------------------------------------------------------------

    def flush(self) -> bool:
        """Flush stdout; False when it cannot be written."""
        if self.output_lost:
            return False
        try:
            self.out.flush()
        except OSError as err:
            self.output_failed(err)
            return False
        return True

    def output_failed(self, err: OSError) -> None:
        """Stdout cannot be written: stop.  A reader that went away ends the
        run quietly, with the status so far; anything else is said."""
        if self.output_lost:
            return
        self.output_lost = True
        discard_output(self.out)
        message = failure(err)
        if message is None:
            self._halt()
        else:
            self.report(Exit.COMMAND_ERROR, message, fatal=True)

    def report(self, code: Exit, message: str, fatal: bool = False) -> None:
        """Say what failed; unless --keep-going (and not *fatal*), stop."""
        self.flush()
        emit(self.err, f"qmpsh: {message}", "\n")
        self.err.flush()
        if self.status == Exit.OK:
            self.status = code
        if fatal or not self.settings.keep_going:
            self._halt()
