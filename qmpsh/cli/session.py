"""Run one session: open the connection, hand it to the shell or to batch mode.

This is the glue between the command line (which only gathers settings and
inputs) and the runners; it owns the event loop's top level, the wire log and
the translation of errors into one line and an exit code.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, TextIO

from qmpsh.builtins.context import Console, Context
from qmpsh.cli import lifetime
from qmpsh.cli.inputs import Inputs
from qmpsh.cli.problems import interrupted
from qmpsh.cli.stopsignals import STOP_SIGNALS, StopOnSignal
from qmpsh.core.errors import QmpshError
from qmpsh.core.exitcodes import Exit
from qmpsh.core.output import say, write
from qmpsh.core.settings import Settings
from qmpsh.wire.connection import Connection
from qmpsh.wire.eventlog import EventLog
from qmpsh.wire.reconnect import reopener
from qmpsh.wire.transport import Transport

if TYPE_CHECKING:
    from qmpsh.batch.input import Line
    from qmpsh.batch.replies import ValueSink
    from qmpsh.builtins.hmp import HmpShell
    from qmpsh.wire.wirelog import WireLog


class StreamConsole:
    """A `Console` writing to stdout and stderr, through the output gate
    (`qmpsh.core.output`); *raw*: stdout's text as it is (--raw-output)."""

    def __init__(self, raw: bool = False) -> None:
        self.raw = raw

    def out(self, text: str) -> None:
        # an OutputError, unlike a built-in's own I/O errors
        write(text, "\n", raw=self.raw)

    def err(self, text: str) -> None:
        sys.stdout.flush()
        say(text)


class QuietConsole:
    """A `Console` that drops normal output and passes diagnostics on."""

    def __init__(self, inner: Console) -> None:
        self.inner = inner

    def out(self, text: str) -> None:
        pass

    def err(self, text: str) -> None:
        self.inner.err(text)


def fail(message: str, code: Exit) -> int:
    """Say *message* on stderr (after the output so far); return *code*."""
    StreamConsole().err(message)
    return int(code)


def run(
    settings: Settings, inputs: Inputs, transport: Transport, timeout: float | None
) -> int:
    """Connect through *transport* (within *timeout*; None: no limit), run
    the inputs, return the exit code."""
    # json recurses once per level: leave room for the deepest message QEMU
    # accepts (qmpsh.core.deepjson.MAX_DEPTH), wherever on the stack it is handled
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4096))
    try:
        return asyncio.run(_main(settings, inputs, transport, timeout))
    except KeyboardInterrupt:
        return interrupted()


async def _main(
    settings: Settings, inputs: Inputs, transport: Transport, timeout: float | None
) -> int:
    """The session, then the transport closed, whatever happened.  SIGTERM
    and SIGHUP cancel the session but not the closing
    (`qmpsh.cli.stopsignals`)."""
    session = asyncio.ensure_future(run_session(settings, inputs, transport, timeout))
    with StopOnSignal(session.cancel) as stop:
        try:
            code = await session
        except (asyncio.CancelledError, OSError):
            # cancelled by the signal, or writing to a terminal that hung up
            if stop.signum is None:
                raise
        finally:
            await transport.close()
    if stop.signum is None:
        return code
    code, said = STOP_SIGNALS[stop.signum]
    with contextlib.suppress(OSError):  # the terminal may be gone
        StreamConsole().err(said)
    return int(code)


async def run_session(
    settings: Settings,
    inputs: Inputs,
    transport: Transport,
    timeout: float | None,
    *,
    console: Console | None = None,
    batch: Callable[[Context], Awaitable[int]] | None = None,
) -> int:
    """Connect through *transport*, run the start-up steps, then the shell
    or batch mode; the connection is closed (not the transport).  *console*:
    where its lines go (stdout and stderr by default); *batch*: what runs
    the batch input (the inputs' lines by default; fan-out replays lines
    read once, `qmpsh.cli.fanout`)."""
    if console is None:
        console = StreamConsole(settings.raw_output)
    ctx: Context | None = None

    def warn(text: str) -> None:
        # to the session's console: the shell's, above its prompt, while it runs
        (ctx.console if ctx is not None else console).err(f"warning: {text}")

    def note(text: str) -> None:
        # the transport's (libvirt taints the domain): as a warning is
        (ctx.console if ctx is not None else console).err(text)

    transport.on_note(note)

    wirelog = None
    if settings.logfile:
        from qmpsh.wire.wirelog import WireLog

        try:
            wirelog = WireLog(settings.logfile, settings.redact, warn)
        except OSError as err:
            console.err(f"cannot open the log {settings.logfile}: {err.strerror}")
            return int(Exit.USAGE)

    conn = new_connection(settings, warn, wirelog)
    try:
        await conn.connect(transport, timeout)
    except QmpshError as err:
        if wirelog is not None:
            wirelog.close()
        console.err(err.message)
        return int(err.exit_code)
    ctx = Context(conn, settings, console, interactive=inputs.interactive)
    lifetime.settle()  # the session is loaded (after qmpsh.cli.lifetime.start)
    try:
        code = await startup(ctx, inputs.startup)
        if code != Exit.OK:
            return code
        if inputs.interactive:
            from qmpsh.shell.app import run_repl

            # a server that went away is reached again through the same
            # transport, when it can be (not when QEMU connected to us)
            reopen = reopener(transport, timeout)
            return await run_repl(ctx, _hmp_mode(ctx), reopen=reopen)
        if batch is not None:
            return await batch(ctx)
        return await _batch(ctx, inputs)
    finally:
        await conn.close()
        if wirelog is not None:
            wirelog.close()


def new_connection(
    settings: Settings, warn: Callable[[str], None], wirelog: WireLog | None = None
) -> Connection:
    """A session's connection, not yet connected: its settings' limits and
    policy (--read-only, --allow, --deny), its warnings to *warn*."""
    conn = Connection(
        negotiate=settings.negotiate,
        wirelog=wirelog,
        events=EventLog(settings.event_history),
        read_limit=settings.read_limit,
        reply_timeout=settings.timeout,
    )
    conn.on_warning(warn)
    if settings.read_only or settings.allow or settings.deny:
        from qmpsh.policy.rules import from_settings

        conn.gate = from_settings(
            settings.read_only, settings.allow, settings.deny
        ).refusal
    return conn


async def startup(ctx: Context, steps: tuple[tuple[str, str], ...]) -> int:
    """Run the start-up built-ins; the first failure ends the session, with
    one line naming the option it came from.  In batch mode they print
    nothing on stdout, which holds one reply per command of the input."""
    from qmpsh.builtins.registry import lookup

    front = ctx.front
    if not ctx.interactive:
        front = front._replace(console=QuietConsole(front.console))
    with ctx.fronted(front):
        for option, line in steps:
            found = lookup(line)
            if found is None:
                ctx.console.err(f"{option}: not a built-in: {line}")
                return int(Exit.USAGE)
            builtin, rest = found
            try:
                code = await builtin.run(ctx, rest)
            except QmpshError as err:
                ctx.console.err(f"{option}: {err.message}")
                return int(err.exit_code)
            except ValueError as err:
                ctx.console.err(f"{option}: {err}")
                return int(Exit.PARSE_ERROR)
            if code != Exit.OK:
                return code
    sys.stdout.flush()
    return Exit.OK


def _hmp_mode(ctx: Context) -> HmpShell | None:
    """The HMP shell that understands the shell's lines in HMP mode (-H);
    None: QMP shorthand."""
    if ctx.settings.hmp:
        from qmpsh.builtins.hmp import shell_for

        return shell_for(ctx)
    return None


async def _batch(ctx: Context, inputs: Inputs) -> int:
    try:
        lines = batch_input(inputs, ctx.settings.line_limit)
    except OSError as err:
        return fail(f"cannot read {err.filename}: {err.strerror}", Exit.USAGE)
    return await run_lines(ctx, lines)


def batch_input(inputs: Inputs, limit: int) -> AsyncIterator[Line]:
    """The lines of the batch input: the -c texts and -f files in the order
    given, else stdin.  Every -f file is opened first: an `OSError` (its
    ``filename`` set) for one that cannot be, and nothing runs."""
    from qmpsh.batch.input import lines_from, lines_from_fd, open_input

    sources: list[AsyncIterator[Line]] = []
    opened: list[int] = []
    numbered = 0  # -c lines are numbered across every -c
    stdin = sys.stdin.fileno()
    for kind, group in itertools.groupby(inputs.sources, key=lambda s: s[0]):
        values = [value for _, value in group]
        if kind == "-c":  # consecutive -c texts: one source, as before
            sources.append(lines_from(values, "-c", numbered, limit))
            numbered += sum(text.count("\n") + 1 for text in values)
            continue
        for path in values:
            if path == "-":
                sources.append(lines_from_fd(stdin, "stdin", limit))
                continue
            try:  # all opened first: a missing file runs nothing
                fd = open_input(path)
            except OSError as err:
                for fd in opened:
                    os.close(fd)
                raise OSError(err.errno, err.strerror, path) from None
            opened.append(fd)
            waiting = f"waiting for a writer on the FIFO {path}"
            sources.append(lines_from_fd(fd, path, limit, waiting))
    if not sources:
        sources.append(lines_from_fd(stdin, "stdin", limit))

    async def chain() -> AsyncIterator[Line]:
        try:
            for source in sources:
                async for item in source:
                    yield item
        finally:
            for fd in opened:
                os.close(fd)

    return chain()


async def run_lines(
    ctx: Context,
    lines: AsyncIterator[Line],
    out: TextIO | None = None,
    err: TextIO | None = None,
    values: ValueSink | None = None,
) -> int:
    """Run batch *lines* on *ctx*: HMP mode's runner, or `BatchRunner`
    (replies to *out*, its lines to *err*: stdout and stderr by default;
    the values of table, YAML and CSV replies to *values* when given:
    fan-out's, `qmpsh.batch.replies.ReplyWriter.values`)."""
    from qmpsh.batch.runner import BatchRunner

    if ctx.settings.hmp:
        from qmpsh.builtins.hmp import run_batch

        return await run_batch(ctx, lines)
    runner = BatchRunner(ctx, out or sys.stdout, err or sys.stderr)
    runner.output.values = values
    if ctx.settings.validating(interactive=False):
        from qmpsh.batch.checks import BatchChecks

        # loads the schema when a line needs it (at once with --validate)
        runner.checks = BatchChecks(ctx, eager=ctx.settings.validate is True)
    if ctx.settings.verbose:
        from qmpsh.shell.assist import batch_deprecations

        runner.deprecations = await batch_deprecations(ctx)
    return await runner.run(lines)
