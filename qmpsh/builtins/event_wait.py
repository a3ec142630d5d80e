"""Waiting for an event that may already have arrived.

`wait_for_event` looks at the history from a sequence number on (the
``mark``: the newest event when the previous command was sent) and then at
new events, with no gap between the two: the listener is subscribed before
the history is read, and both run on the event loop's thread, so an event
arriving between the command and the wait is found in the history, and one
arriving later reaches the listener.  An event from before the mark never
counts.

The history is a ring (``Settings.event_history``, 1000 by default).  When
more events than that arrived since the mark, the oldest of them are gone
and cannot be matched; `missed` counts them so the caller can say so.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from qmpsh.core.errors import ConnectionLost
from qmpsh.wire.connection import Connection
from qmpsh.wire.eventlog import Event, EventLog
from qmpsh.wire.state import ConnState


def missed(log: EventLog, mark: int) -> int:
    """How many events newer than *mark* are no longer in the history."""
    held = log.since(mark)
    first = held[0].seq if held else log.seq + 1
    return max(0, first - (mark + 1))


async def wait_for_event(
    conn: Connection,
    wanted: Callable[[Event], bool],
    mark: int,
    timeout: float | None = None,
) -> Event:
    """The first event after *mark* that is *wanted*.

    Raises `TimeoutError` after *timeout* seconds, `ConnectionLost` when
    the connection goes away first.
    """
    log = conn.events
    loop = asyncio.get_running_loop()
    found: asyncio.Future[Event] = loop.create_future()

    def ok(event: Event) -> bool:
        return event.seq > mark and wanted(event)

    def on_event(event: Event) -> None:
        if not found.done() and ok(event):
            found.set_result(event)

    def on_state(state: ConnState, reason: str) -> None:
        if state in (ConnState.LOST, ConnState.CLOSED) and not found.done():
            found.set_exception(ConnectionLost(reason or "the connection was lost"))

    unsubscribe = log.subscribe(on_event)
    forget = conn.on_state(on_state)
    try:
        for event in log.since(mark):
            if ok(event):
                return event
        if not conn.connected:
            raise ConnectionLost(conn.lost_reason or "the connection was lost")
        return await asyncio.wait_for(asyncio.shield(found), timeout)
    finally:
        unsubscribe()
        forget()
        if not found.done():
            found.cancel()
        with contextlib.suppress(BaseException):
            found.exception()
