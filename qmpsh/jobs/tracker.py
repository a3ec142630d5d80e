"""`JobTracker`: a `JobBook` kept up to date on a live connection.

It replays the event history, listens to new events, and polls
``query-jobs`` and ``query-block-jobs`` while any job is active, so that the
progress numbers move between status changes.  The shell's toolbar reads
`JobTracker.toolbar_text` and redraws on `JobTracker.on_change`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from qmpsh.core.errors import ConnectionLost, QmpshError
from qmpsh.core.listeners import Listeners
from qmpsh.jobs.model import JobBook
from qmpsh.wire.connection import Connection
from qmpsh.wire.eventlog import Event, EventLog

ChangeListener = Callable[[], None]


class JobTracker:
    """A `JobBook` kept current on a connection (events plus polling).

    ``attach()`` replays the event history and subscribes; while a job is
    active, ``query-jobs`` and ``query-block-jobs`` are polled every
    *interval* seconds (these polls are not user commands: they do not move
    the ``wait`` mark, but they do appear in the wire log).  Listeners added
    with `on_change` are called after every change, e.g. to redraw a toolbar.
    """

    def __init__(self, conn: Connection, interval: float = 0.5) -> None:
        self.conn = conn
        self.interval = interval
        self.book = JobBook()
        self._listeners: Listeners[[]] = Listeners()
        self._unsubscribe: Callable[[], None] | None = None
        self._poller: asyncio.Task[None] | None = None

    @property
    def events(self) -> EventLog:
        return self.conn.events

    def attach(self) -> None:
        """Replay the history and follow new events (idempotent)."""
        if self._unsubscribe is not None:
            return
        for event in self.events:
            self.book.feed(event)
        self._unsubscribe = self.events.subscribe(self._on_event)
        self._kick()

    def detach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._poller is not None:
            self._poller.cancel()
            self._poller = None

    def on_change(self, listener: ChangeListener) -> Callable[[], None]:
        """Call *listener* after each change; returns the call that removes it."""
        return self._listeners.add(listener)

    def _changed(self) -> None:
        self._listeners()

    def _on_event(self, event: Event) -> None:
        if self.book.feed(event):
            self._changed()
            self._kick()

    def _kick(self) -> None:
        """Start polling if a job is active and nobody polls yet."""
        if self._poller is not None and not self._poller.done():
            return
        if not self.book.active():
            return
        try:
            self._poller = asyncio.get_running_loop().create_task(self._poll())
        except RuntimeError:  # no loop: the next refresh will do
            self._poller = None

    async def _poll(self) -> None:
        while self.conn.connected:
            try:
                await self.refresh()
            except QmpshError:
                return
            if not self.book.active():
                return
            await asyncio.sleep(self.interval)

    async def refresh(self) -> None:
        """Query the jobs now (raises `QmpshError` when the connection fails)."""
        asked = self.events.seq  # events after this may be newer than the replies
        jobs = await self.conn.execute({"execute": "query-jobs"})
        block = await self.conn.execute({"execute": "query-block-jobs"})
        listed = jobs.get("return")
        blocks = block.get("return")
        if not isinstance(listed, list):
            listed = []
        if not isinstance(blocks, list):
            blocks = []
        if self.book.apply_queries(listed, blocks, seq=self.events.seq, asked=asked):
            self._changed()
        self._kick()

    async def until(
        self, done: Callable[[], bool], timeout: float | None = None
    ) -> None:
        """Return once *done()* is true, checking after each change.

        Raises `TimeoutError` after *timeout* seconds and `ConnectionLost`
        -like `QmpshError` when polling fails.
        """
        changed = asyncio.Event()
        remove = self.on_change(changed.set)
        try:
            async with asyncio.timeout(timeout):
                while not done():
                    if not self.conn.connected:
                        raise ConnectionLost(
                            self.conn.lost_reason or "the connection was lost"
                        )
                    changed.clear()
                    self._kick()
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(max(self.interval * 2, 1.0)):
                            await changed.wait()
        finally:
            remove()

    def toolbar_text(self, width: int = 60) -> str:
        """Compact progress of the active jobs for a toolbar; "" when none."""
        from qmpsh.jobs.view import toolbar_text

        return toolbar_text(self.book.active(), width)
