"""Batch mode: commands from stdin, ``-c`` or ``-f``; replies as JSON lines.

No prompt, no banner, and no prompt_toolkit.  Requests are pipelined: a
read-only command (``query-*`` and friends) is sent without waiting for the
replies before it, up to ``max_inflight`` at a time, and replies are printed
in input order.  A command that changes something waits for every earlier
reply first and is waited for in turn, so that stopping at the first error
never runs a later change.  With ``--keep-going`` everything is pipelined,
since every command runs anyway.

The exit status is the first failure's `Exit` code, or 0.  What is
written, and how (``-o``, ``--query``, ``--events``, a failure on stderr,
output that cannot be written), is `qmpsh.batch.replies.ReplyWriter`'s.
"""

from __future__ import annotations

import asyncio
import sys
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any, NamedTuple, TextIO

from qmpsh.batch import bindings
from qmpsh.batch.checks import BatchChecks
from qmpsh.batch.input import Line
from qmpsh.batch.replies import ReplyWriter
from qmpsh.batch.shaping import NO_SINKS, sink_at, sink_hint
from qmpsh.builtins.context import Context
from qmpsh.builtins.registry import Builtin, BuiltinError, lookup
from qmpsh.core.errors import CommandTimeout, QmpshError, Refused
from qmpsh.core.exitcodes import Exit
from qmpsh.core.output import OutputError
from qmpsh.core.render import is_error
from qmpsh.core.text import os_text
from qmpsh.lang.anatomy import anatomy
from qmpsh.lang.bound import Prepared, parse_bound, retyped
from qmpsh.lang.parser import Accumulator, Incomplete, ParseError, Request, Typer
from qmpsh.policy.readonly import changes_nothing

#: what the history file writes for a secret (`qmpsh.lang.redact.REDACTED`, not
#: imported at start-up): a request with it is looked at before it goes
PLACEHOLDER = "<redacted>"


def read_only(request: Request) -> bool:
    """Whether *request* may be sent ahead of earlier replies: a command
    known to change nothing (`qmpsh.policy.readonly.changes_nothing`, the list
    ``--read-only`` lets through), not out of band."""
    if "exec-oob" in request.message:
        return False
    return changes_nothing(request.command)


class _Sent(NamedTuple):
    line: Line
    request: Request
    reply: asyncio.Future[dict[str, Any]]
    #: ``NAME = COMMAND``: the variable its return value is bound to
    bind: str | None = None


class BatchRunner:
    """Two tasks: a reader that parses and sends, a printer that waits for
    replies and hands them, in order, to the `ReplyWriter`.

    They run side by side so that a reply is printed (and flushed) as soon as
    it arrives even while the reader waits for more input: a script talking
    to qmpsh through a pipe gets each answer before it sends the next line.
    """

    def __init__(
        self, ctx: Context, out: TextIO = sys.stdout, err: TextIO = sys.stderr
    ) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        #: replies to *out*, failures to *err*; the run's exit status
        self.output = ReplyWriter(ctx, out, err, self._halt)
        self.pending: deque[_Sent] = deque()
        self.window = max(1, ctx.settings.max_inflight)
        #: the longest command, in bytes, several lines together
        self.line_limit = ctx.settings.line_limit
        self.stopping = False
        self.eof = False
        #: schema-aware value typing and the check before sending, loaded
        #: on the first line that needs them (None: --no-validate)
        self.checks: BatchChecks | None = None
        #: with -v: the warning for a request that uses something deprecated
        self.deprecations: Callable[[Request], str | None] | None = None

    async def run(self, lines: AsyncIterator[Line]) -> int:
        self._slots = asyncio.Semaphore(self.window)
        self._arrived = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._reader = asyncio.ensure_future(self._read(lines))
        printer = asyncio.ensure_future(self._print_replies())
        unsubscribe = None
        if self.settings.print_events:
            unsubscribe = self.output.follow_events()
        try:
            try:
                await self._reader
            except asyncio.CancelledError:
                if not self.stopping:  # not us: Ctrl-C or the caller
                    raise
            self.eof = True
            self._arrived.set()
            await printer
        finally:
            if unsubscribe is not None:
                unsubscribe()
            printer.cancel()
            self._discard()
            self.output.flush()
        return int(self.output.status)

    # -- the reader ----------------------------------------------------------

    def _parse(self, text: str, typer: Typer | None) -> Request | Incomplete | None:
        """The accumulator's parser: the session's variables replaced."""
        return parse_bound(text, typer, self.ctx.session.variables)

    async def _read(self, lines: AsyncIterator[Line]) -> None:
        checks = self.checks
        typer = checks.typer if checks is not None else None
        acc = Accumulator(typer, self._parse)
        forced = False
        #: the command being read: as prepared, and its lines as typed
        prepared = Prepared("")
        typed = typed_so_far = ""
        #: the command being read holds the history's secret placeholder
        marked = False
        #: the lines of the command being read, as far as it holds them (its
        #: first line is where it is said to be; a line of it that does not
        #: parse is left out, and spoils it: see below)
        held: list[Line] = []
        #: a line of the command being read did not parse: with -k the rest
        #: is read, to find its end, and the command is not sent (a
        #: transaction is all or nothing)
        spoiled = False
        async for line in self._until_stopped(lines):
            if line.bad is not None:
                message, column = line.bad
                await self._refuse(f"{line.where}:{column}: {message}")
                continue
            text = line.text
            if not acc.pending:
                # its parts, as the shell reads them (one target: no @)
                parts = anatomy(text, targets=False)
                forced = parts.force is not None
                marked = False
                typed = parts.unforced()
                ready = await bindings.prepared(self.ctx, checks, line.where, parts)
                if isinstance(ready, str):
                    await self._refuse(ready)
                    continue
                prepared = ready
                text = prepared.text
                found = None
                if not forced or prepared.aliases:  # !getfd: the server's, as typed
                    found = lookup(text)
                if found is not None:
                    await self._barrier()
                    if prepared.bind is not None:
                        self.output.report(
                            Exit.PARSE_ERROR,
                            f"{line.where}: {prepared.bind} = takes a QMP command; "
                            f"{found[0].name} is a built-in, which returns no value",
                        )
                        continue
                    sink = sink_at(parts)
                    if sink is not None:  # the shell's: never a built-in's words
                        await self._refuse(
                            f"{line.where}:{sink + 1}: {found[0].name}: {NO_SINKS}"
                        )
                        continue
                    await self._builtin(line, *found, expanded=text)
                    continue
                held, spoiled = [line], False
            else:
                typed_so_far = typed
                typed = f"{typed}\n{text}"
                held.append(line)
            if "$" in text:  # it may use a variable: wait for what binds it
                await self._barrier()
            whole = f"{acc.buffer}\n{text}" if acc.pending else text
            marked = marked or PLACEHOLDER in text
            needs = checks is not None and (acc.pending or checks.needed(text))
            if checks is not None and needs:
                await checks.prepare(text)  # the schema; a device's properties
            try:
                result = acc.feed(text)
            except ParseError as err:
                unknown = None
                if checks is not None and not forced:
                    await checks.load()
                    unknown = checks.unknown(whole)
                if unknown is not None and not prepared.aliases:
                    await self._refuse(f"{held[0].where}: {unknown}")
                    continue
                err = retyped(err, prepared, typed, whole)
                at = held[min(err.line, len(held)) - 1]
                said = _scrub(err.message, whole, typed) + sink_hint(typed)
                await self._refuse(f"{at.where}:{err.column}: {said}")
                if acc.pending:  # the line is dropped; what it belonged to spoilt
                    typed = typed_so_far
                    held.pop()
                    spoiled = True
                continue
            if isinstance(result, Incomplete) and len(acc.buffer) > self.line_limit:
                acc = Accumulator(typer, self._parse)  # what it held is dropped
                await self._refuse(
                    f"{held[0].where}: the command is longer than "
                    f"{self.line_limit} bytes (--line-limit)"
                )
                continue
            if result is not None and not isinstance(result, Incomplete):
                if spoiled:
                    await self._refuse(
                        f"{held[0].where}: {result.command or 'the command'} not "
                        "sent: a line of it was refused (all or nothing)"
                    )
                    continue
                refusal = None if forced else self._refusal(result, marked)
                if refusal is None:
                    refusal = self._denied(result)
                if refusal is not None:
                    await self._refuse(f"{held[0].where}: {_scrub(refusal, whole)}")
                    continue
                # a multi-line command's reply is said at its first line
                await self._send(held[0], result, prepared.bind)
        try:
            acc.finish()
        except ParseError as err:
            where = held[0].where if held else "input"
            await self._refuse(f"{where}: {_scrub(err.message, acc.buffer)}")

    async def _until_stopped(self, lines: AsyncIterator[Line]) -> AsyncIterator[Line]:
        """*lines* until the run stops.  Looked at before reading the next
        line: a line that failed (refused, a built-in that failed) ends the
        run at once, even while stdin stays open with nothing more to say."""
        async for line in lines:
            yield line
            if self.stopping:
                return

    def _refusal(self, request: Request, marked: bool) -> str | None:
        """Why *request* is not sent (one line), or None: a secret that is
        the history's placeholder (always; *marked*: its text holds one),
        or what ``--validate`` finds."""
        if marked:
            from qmpsh.lang.redact import placeholder_refusal

            refusal = placeholder_refusal(request.message)
            if refusal is not None:
                return refusal
        return self.checks.check(request) if self.checks is not None else None

    def _denied(self, request: Request) -> str | None:
        """Why the policy (``--read-only``, ``--allow``, ``--deny``) does not
        let *request* through, or None.  (The connection would refuse it
        too; refused here, it is never sent ahead of earlier replies.)"""
        try:
            self.ctx.conn.check(request.message)
        except Refused as err:
            return err.message
        return None

    async def _refuse(self, message: str) -> None:
        """A line that cannot be sent: report it after the replies before it."""
        await self._barrier()
        self.output.report(Exit.PARSE_ERROR, message)

    async def _barrier(self) -> None:
        """Wait until every reply so far is printed; stop if told to."""
        await self._idle.wait()
        if self.stopping:
            raise asyncio.CancelledError

    async def _send(self, line: Line, request: Request, bind: str | None) -> None:
        pipelined = self.settings.keep_going or read_only(request)
        if not pipelined:
            await self._barrier()
        await self._slots.acquire()
        if self.stopping:
            raise asyncio.CancelledError
        self.ctx.sent()
        future = asyncio.ensure_future(
            self.ctx.conn.execute(request.message, self.settings.timeout)
        )
        self.pending.append(_Sent(line, request, future, bind))
        self._idle.clear()
        self._arrived.set()
        if not pipelined:
            await self._barrier()

    async def _builtin(
        self, line: Line, builtin: Builtin, rest: str, expanded: str = ""
    ) -> None:
        """Run a built-in line; *expanded*: the line as run, when an alias
        or a variable made it from the one typed (what its errors may quote
        of a secret is scrubbed as either)."""
        if not builtin.batch:
            self.output.report(
                Exit.PARSE_ERROR,
                f"{line.where}: {builtin.name} only works interactively",
            )
            return
        try:
            code = await builtin.run(self.ctx, rest)
        except QmpshError as err:
            fatal = not isinstance(err, CommandTimeout | BuiltinError | Refused)
            said = _scrub(err.message, expanded, line.text)
            self.output.report(
                err.exit_code, f"{line.where}: {builtin.name}: {said}", fatal
            )
            return
        except ValueError as err:  # bad arguments, e.g. an open quote
            said = _scrub(str(err), expanded, line.text)
            self.output.report(
                Exit.PARSE_ERROR, f"{line.where}: {builtin.name}: {said}"
            )
            return
        except OutputError as err:  # writing its output (stdout)
            self.output.output_failed(err)
            return
        except OSError as err:  # its own, e.g. a file it opens
            self.output.report(
                Exit.COMMAND_ERROR, f"{line.where}: {builtin.name}: {os_text(err)}"
            )
            return
        if builtin.name == "output":  # -o and --query, changed
            self.output.reshape()
        if not self.output.flush():
            return
        if code != Exit.OK:
            self.output.report(Exit(code), f"{line.where}: {builtin.name} failed")

    # -- the printer ---------------------------------------------------------

    async def _print_replies(self) -> None:
        while True:
            while not self.pending:
                self.output.flush()
                self._idle.set()
                if self.eof or self.stopping:
                    return
                self._arrived.clear()
                await self._arrived.wait()
            sent = self.pending[0]
            if self.settings.verbose:
                self._echo(sent)
                if self.stopping:  # the echo could not be written
                    return
            try:
                reply = await sent.reply
            except QmpshError as err:
                if self.stopping:  # meanwhile; `sent` was discarded
                    return
                fatal = not isinstance(err, CommandTimeout | Refused)
                where = f"{sent.line.where}: {sent.request.command or 'request'}"
                self.pending.popleft()
                self._slots.release()
                if sent.bind is not None:
                    self.ctx.session.variables.fail(
                        sent.bind, f"{sent.line.where} got no reply"
                    )
                self.output.report(err.exit_code, f"{where}: {err.message}", fatal)
                continue
            if self.stopping:  # meanwhile (the output failed); `sent` was discarded
                return
            self.pending.popleft()
            self._slots.release()
            hint = None
            if self.checks is not None and is_error(reply):
                hint = await self.checks.not_found_hint(sent.request.command, reply)
            self._show(sent, reply, hint)

    def _echo(self, sent: _Sent) -> None:
        """``-v``: the request, once the replies before it are printed and
        before its own outcome (a reply, a timeout, a lost connection), so
        that one that never gets an answer is shown too."""
        warning = self.deprecations(sent.request) if self.deprecations else None
        waiting = not sent.reply.done()
        self.output.echo(sent.line.where, sent.request, warning, waiting)

    def _show(
        self, sent: _Sent, reply: dict[str, Any], hint: str | None = None
    ) -> None:
        """A reply, in input order: bound to its variable (``NAME =``),
        then written; the requests still pending are those an error reply
        discards."""
        bindings.record(self.ctx, sent.bind, sent.line.where, reply)
        self.output.reply(sent.line.where, sent.request, reply, hint, self.pending)

    # -- stopping ------------------------------------------------------------

    def _halt(self) -> None:
        """Stop reading and printing.  The reader is cancelled, unless this
        is the reader itself (a refused line, a failed built-in): it then
        stops before reading another line (see _until_stopped)."""
        if self.stopping:
            return
        self.stopping = True
        self._discard()
        self._idle.set()
        self._arrived.set()
        if not self._reader.done() and self._reader is not asyncio.current_task():
            self._reader.cancel()

    def _discard(self) -> None:
        """Stop waiting for requests already sent after a failure.

        They are not cancelled: their replies are on the way, and a reply to
        a cancelled request would be dropped with a "late reply" warning.
        They run on and their outcome is ignored (discarded on purpose).
        """
        while self.pending:
            self.pending.popleft().reply.add_done_callback(_ignore)


def _scrub(message: str, *texts: str) -> str:
    """*message* about a line without what it quotes of a secret in
    *texts*, every text the line has been (`qmpsh.lang.redact.scrub`,
    imported only when a line fails)."""
    from qmpsh.lang.redact import scrub

    return scrub(message, *texts)


def _ignore(future: asyncio.Future[Any]) -> None:
    """Retrieve a discarded request's outcome, so that asyncio keeps quiet."""
    if not future.cancelled():
        future.exception()
