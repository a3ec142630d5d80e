"""``qmpsh events``' listener: one connection, its events printed as JSON
lines, and how listening ended (`ending`, the exit codes the command's
docstring in `qmpsh.cli.events` lists).  One per target: `qmpsh.cli.events_many`
runs several, each tagging its lines with its label.
"""

from __future__ import annotations

import asyncio
import datetime
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from qmpsh.cli.problems import fail
from qmpsh.core.exitcodes import Exit
from qmpsh.core.render import highlight_json, render_json

if TYPE_CHECKING:
    from qmpsh.core.eventfail import Failures
    from qmpsh.wire.transport import Transport


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
        address.on_note(self._say)  # the transport's (libvirt taints the domain)
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
