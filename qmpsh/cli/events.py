"""``qmpsh events ADDRESS``: only listen, and print events as JSON lines.

For piping into other tools: one event per line, flushed as it arrives,
filtered like everywhere else (qmpsh.core.eventfilter).  It ends after
``--count`` events, after ``--timeout`` seconds, when the connection ends,
when stdout cannot be written, or on Ctrl-C.

Exit codes (`ending`): 0 when ``--count`` events were printed; without
``--count``, 0 when the timeout came after at least one event or QEMU quit
(a SHUTDOWN event, then the connection closed); 6 (timeout) when the
timeout came before ``--count`` events, or before any event without
``--count``; 5 when the connection ended before ``--count`` events, or
with no SHUTDOWN before it (QEMU killed: a crash is not a clean end); 4
when it cannot connect; 2 for bad options, or when ADDRESS is a guest agent
(it sends no events); 1 when stdout cannot be written (`qmpsh.core.output`; a
reader that goes away, ``| head -1``, ends it quietly with 0); 130 on
Ctrl-C.  What the connection warns about is said on stderr.
"""

from __future__ import annotations

import asyncio
import datetime
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from qmpsh.cli.addrcomplete import complete_address
from qmpsh.cli.command import (
    QmpshCommand,
    click_event_filter,
    event_filter_options,
    merged_options,
)
from qmpsh.cli.options import (
    click_options,
    finite_range,
    setting_option,
    setting_values,
)
from qmpsh.cli.problems import fail
from qmpsh.core.exitcodes import Exit
from qmpsh.core.render import highlight_json, render_json
from qmpsh.core.settings import SETTING

if TYPE_CHECKING:
    from qmpsh.core.eventfail import Failures
    from qmpsh.wire.transport import Transport


def _options(func: Any) -> Any:
    for option in reversed(event_filter_options(short=True)):
        func = option(func)
    return func


#: the settings whose options (as ``qmpsh`` has them) it takes, besides -p
SETTINGS_TAKEN = (
    "logfile",
    "connect_timeout",
    "color",
    "tls_ca",
    "tls_cert",
    "tls_key",
    "tls_hostname",
    "libvirt_uri",
)


def _settings_options(func: Any) -> Any:
    opts = [setting_option(SETTING[name]) for name in SETTINGS_TAKEN]
    for option in reversed(click_options(opts)):
        func = option(func)
    return func


@click.command("events", cls=QmpshCommand)
@click.argument(
    "addresses", nargs=-1, metavar="[ADDRESS...]", shell_complete=complete_address
)
@_options
@click.option(
    "-n",
    "--count",
    type=click.IntRange(min=1),
    metavar="N",
    help="Stop after N events (exit 6 if the timeout comes first).",
)
@click.option(
    "-t",
    "--timeout",
    "listen_timeout",
    type=finite_range(min=0, min_open=True),
    metavar="SECONDS",
    help="Stop listening after SECONDS (exit 6 if fewer than --count events, or "
    "none, came).",
)
@click.option(
    "--timestamp",
    is_flag=True,
    help='Add a "time" member: the event\'s timestamp in ISO 8601 (UTC).',
)
@click.option("-p", "--pretty", is_flag=True, help="Indent the JSON.")
@click.option(
    "--fail-on",
    "fail_on",
    multiple=True,
    metavar="EVENT[:FIELD=VALUE,...]",
    help="Count an event that matches as a failure (exit 1), besides those "
    "that report one (BLOCK_JOB_COMPLETED with an error, MIGRATION failed...); "
    "'none' drops that table.  Repeatable.",
)
@click.option(
    "--ready-fd",
    "ready_fd",
    type=click.IntRange(min=0),
    metavar="N",
    help="Once subscribed, write 'ready' and a newline to file descriptor N "
    "and close it (instead of the line on stderr).",
)
@_settings_options
@click.pass_context
def events_command(
    ctx: click.Context, /, addresses: tuple[str, ...], **opts: Any
) -> int:
    """Listen to ADDRESS and print its events as JSON lines.

    Each event is printed (and flushed) as it arrives, for piping into other
    tools; the filter options choose which.  Without --count or --timeout it
    runs until the connection ends or Ctrl-C.  Several ADDRESS words (or a
    glob, or a group of the config file) listen to every target at once:
    each event has a "target" member, --count counts each target's events,
    and the exit code is the worst of the targets'.

    \b
    Exit codes: 0 done (--count reached; without it, the timeout after an
    event, or QEMU quit: SHUTDOWN, then the connection closed), 1 output
    not written, 2 usage (or ADDRESS is a guest agent, which sends no
    events), 4 cannot connect, 5 connection lost (before --count events, or
    with no SHUTDOWN before it: QEMU killed), 6 timeout before --count
    events (or before any, without --count), 130 interrupted.
    """
    from qmpsh.cli.invoke import names_several
    from qmpsh.cli.targets import resolve_for_click
    from qmpsh.core.settings import build_settings
    from qmpsh.wire.address import AddressError

    opts = merged_options(ctx, opts)
    flt = click_event_filter(opts)
    given = setting_values(opts, only=("pretty", *SETTINGS_TAKEN))
    given = {**given, "event_filter": flt}
    if len(addresses) > 1 or (addresses and names_several(addresses[0])):
        from qmpsh.cli.events_many import listen_many

        return listen_many(
            addresses,
            given,
            lambda settings, label, ready: make_listener(settings, opts, label, ready),
            lambda: announce(opts.get("ready_fd")),
        )
    found = resolve_for_click(
        addresses[0] if addresses else None,
        "no address: give ADDRESS, or set QMP_SOCKET",
    )
    where = found.transport
    # a named target's table counts (as in batch mode, the file's top level does not)
    settings = build_settings(given, target=found.settings)
    try:
        where.configure(settings)  # ssh_command, the tls_* files
    except AddressError as err:
        raise click.UsageError(str(err)) from None
    listener = make_listener(settings, opts)
    try:
        return asyncio.run(listener.run(where))
    except KeyboardInterrupt:
        from qmpsh.cli.problems import interrupted

        return interrupted()


def make_listener(
    settings: Any,
    opts: dict[str, Any],
    label: str | None = None,
    on_ready: Callable[[], None] | None = None,
) -> Listener:
    """The `Listener` the options ask for (their mistakes are click's)."""
    from qmpsh.core.eventfail import Failures
    from qmpsh.core.eventfilter import FilterError

    try:
        failures = Failures.from_options(tuple(opts.get("fail_on") or ()))
    except FilterError as err:
        raise click.UsageError(str(err)) from None
    ready_fd = opts.get("ready_fd")
    if ready_fd is not None and ready_fd in (0, 1):
        raise click.UsageError(
            f"--ready-fd {ready_fd}: stdin and stdout are not for that"
        )
    return Listener(
        settings,
        count=opts.get("count"),
        timeout=opts.get("listen_timeout"),
        timestamp=bool(opts.get("timestamp")),
        failures=failures,
        ready_fd=ready_fd,
        label=label,
        on_ready=on_ready,
    )


def iso_time(seconds: float) -> str:
    """``2026-01-02T03:04:05.678901+00:00``."""
    stamp = datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)
    return stamp.isoformat(timespec="microseconds")


class Listener:
    def __init__(
        self,
        settings: Any,
        *,
        count: int | None,
        timeout: float | None,
        timestamp: bool,
        failures: Failures | None = None,
        ready_fd: int | None = None,
        label: str | None = None,
        on_ready: Callable[[], None] | None = None,
    ) -> None:
        from qmpsh.core.eventfail import Failures

        #: one target of several (qmpsh.cli.events_many): its events get a
        #: "target" member, its lines on stderr its name; *on_ready* is
        #: called once subscribed, instead of saying so
        self.label = label
        self.on_ready = on_ready
        #: why the connection ended, once it has
        self.ended: str | None = None
        #: subscribed to the target's events
        self.subscribed = False

        self.failures = failures if failures is not None else Failures()
        self.ready_fd = ready_fd
        #: the first printed event that reported a failure: why, as one line
        self.failed: str | None = None
        self.settings = settings
        self.count = count
        self.timeout = timeout
        self.timestamp = timestamp
        self.printed = 0
        #: a SHUTDOWN event came: QEMU is quitting, the end that follows is clean
        self.shutdown = False
        #: why stdout could not be written, if it could not
        self.output_error: OSError | None = None
        self.color = settings.use_color(sys.stdout.isatty())

    async def run(self, address: Transport) -> int:
        from qmpsh.core.errors import QmpshError
        from qmpsh.core.output import OutputError, output_failed
        from qmpsh.wire.connection import Connection
        from qmpsh.wire.eventlog import Event, EventLog
        from qmpsh.wire.state import ConnState
        from qmpsh.wire.wirelog import WireLog

        s = self.settings
        try:
            wirelog = WireLog(s.logfile, warn=self._warn) if s.logfile else None
        except OSError as err:
            return self._fail(
                f"cannot open the log {s.logfile}: {err.strerror}", Exit.USAGE
            )
        events = EventLog(16)
        conn = Connection(wirelog=wirelog, events=events, read_limit=s.read_limit)
        # what the connection warns about (a listener that failed, a dropped
        # reply...) is said, as in the shell and batch mode
        conn.on_warning(self._warn)
        loop = asyncio.get_running_loop()
        #: set with None when done printing, or with why the connection ended
        done: asyncio.Future[str | None] = loop.create_future()
        flush_due = False

        def stop() -> None:
            if not done.done():
                done.set_result(None)

        def output_failed_with(err: OSError) -> None:
            if self.output_error is None:
                self.output_error = err
            stop()

        def flush() -> None:
            nonlocal flush_due
            flush_due = False
            try:
                self._flush()
            except OutputError as err:
                output_failed_with(err)

        def on_event(event: Event) -> None:
            # Printed here, as the reader hands each event over: no queue that
            # could grow under a flood (a slow reader of our stdout slows our
            # reading of the socket instead), and one flush per burst.
            nonlocal flush_due
            if event.name == "SHUTDOWN":
                self.shutdown = True
            if done.done():
                return
            why = self._failure(event.message)
            if why is None:
                return
            try:
                self._write(event)
            except OutputError as err:
                output_failed_with(err)
                return
            if why:
                flush()
                self._said_failure(event.message, why)
            ended = why and not self._passes(event.message)  # a wait ended
            if ended or (self.count is not None and self.printed >= self.count):
                flush()  # may stop already: the output failed
                stop()
            elif not flush_due:
                flush_due = True
                loop.call_soon(flush)

        def on_state(state: ConnState, reason: str) -> None:
            if state == ConnState.LOST and not done.done():
                done.set_result(reason or "the connection was lost")

        events.subscribe(on_event)
        conn.on_state(on_state)
        try:
            await conn.connect(address, s.connect_timeout)
            if conn.guest_agent:  # nothing would ever be printed
                return self._fail(
                    f"{address} is a guest agent, which sends no events: "
                    "qmpsh events listens to a QEMU monitor",
                    Exit.USAGE,
                )
            self._ready()
            code, message = await self._outcome(done)
            flush()
            if self.output_error is not None:
                return output_failed(self.output_error)
            if message is not None:
                return self._fail(message, code)
            if self.label is not None and self.ended is not None:
                self._say(f"{self.ended}, after a SHUTDOWN event")
            return int(Exit.COMMAND_ERROR if self.failed and code == Exit.OK else code)
        except QmpshError as err:
            return self._fail(err.message, err.exit_code)
        finally:
            await conn.close()
            if wirelog is not None:
                wirelog.close()

    async def _outcome(
        self, done: asyncio.Future[str | None]
    ) -> tuple[Exit, str | None]:
        try:
            lost = await asyncio.wait_for(asyncio.shield(done), self.timeout)
        except TimeoutError:
            return ending(self.printed, self.count, self.timeout, timed_out=True)
        self.ended = lost
        return ending(
            self.printed, self.count, self.timeout, lost=lost, shutdown=self.shutdown
        )

    def _passes(self, message: dict[str, Any]) -> bool:
        flt = self.settings.event_filter
        return flt is None or bool(flt.matches(message))

    def _failure(self, message: dict[str, Any]) -> str | None:
        """None: the event is not printed; "": printed, a success; else
        printed, and why it reports a failure.  An event the filter does not
        pass is printed when it is a failure about what ``--count`` waits
        for (see `qmpsh.core.eventfail`), and ends listening."""
        from qmpsh.core.eventfilter import EventFilter

        if self._passes(message):
            return self.failures.failure(message) or ""
        flt = self.settings.event_filter
        if self.count is None or not isinstance(flt, EventFilter):
            return None
        return self.failures.ends(flt, message)

    def _said_failure(self, message: dict[str, Any], why: str) -> None:
        from qmpsh.core.eventfail import event_label

        line = f"{event_label(message)} reports a failure: {why}"
        if self.failed is None:
            self.failed = line
        self._say(line)

    def _ready(self) -> None:
        """Subscribed: say so, for a script that starts a job after it."""
        self.subscribed = True
        if self.on_ready is not None:
            self.on_ready()
            return
        announce(self.ready_fd)

    def _write(self, event: Any) -> None:
        """Print one event; an `OutputError` when stdout cannot be written."""
        from qmpsh.core.output import write

        message = event.message
        if self.timestamp:
            message = {"time": iso_time(event.time), **message}
        if self.label is not None:
            from qmpsh.core.sanitize import shown

            message = {"target": shown(self.label), **message}
        text = render_json(message, self.settings.pretty)
        if self.color:
            text = highlight_json(text, self.settings.style)
        write(text, "\n")
        self.printed += 1

    def _flush(self) -> None:
        from qmpsh.core.output import flush

        if self.output_error is None:
            flush()

    def _who(self, text: str) -> str:
        """*text* for stderr: after the target's name, when one of several."""
        if self.label is None:
            return text
        from qmpsh.cli.tagged import about

        return about(self.label, text)

    def _say(self, text: str) -> None:
        _say(self._who(text))

    def _warn(self, text: str) -> None:
        _say(self._who(f"warning: {text}"))

    def _fail(self, text: str, code: Exit) -> int:
        return fail(self._who(text), code)


def ending(
    printed: int,
    count: int | None,
    timeout: float | None,
    *,
    timed_out: bool = False,
    lost: str | None = None,
    shutdown: bool = False,
) -> tuple[Exit, str | None]:
    """How listening ended, as the exit code and the line to say (None:
    nothing).  *printed* events were printed of *count* (None: no
    --count); *timed_out*: --timeout came; *lost*: why the connection
    ended, if it did; *shutdown*: a SHUTDOWN event came before that."""
    if timed_out:
        if count is None and printed:
            return Exit.OK, None
        got = f"only {printed} of {count} events" if count and printed else "no event"
        return Exit.TIMEOUT, f"{got} came within {timeout:g} s"
    if lost is None:  # --count reached
        return Exit.OK, None
    if count is not None:
        return Exit.CONNECTION_LOST, f"{lost} after {printed} of {count} events"
    if shutdown:  # QEMU said it was quitting: listening ended as it should
        return Exit.OK, None
    events = f"{printed} event{'' if printed == 1 else 's'}"
    return (
        Exit.CONNECTION_LOST,
        f"{lost} after {events}, with no SHUTDOWN event before it",
    )


def announce(ready_fd: int | None) -> None:
    """Say that listening has begun: on stderr, or ``ready`` and a newline
    to *ready_fd* (then closed)."""
    if ready_fd is None:
        _say("listening (events from here on are printed)")
        return
    try:
        os.write(ready_fd, b"ready\n")
        os.close(ready_fd)
    except OSError as err:
        _warn(f"--ready-fd {ready_fd}: {err.strerror}")


def _say(text: str) -> None:
    from qmpsh.core.output import say

    say(text)


def _warn(text: str) -> None:
    from qmpsh.core.output import say

    say(f"warning: {text}")
