"""Reconnecting after the connection is lost: retries with backoff.

Each attempt opens the session's transport again (`reopener`).  The first
attempt waits ``delay`` seconds, each later one twice as long as the one
before, up to `MAX_DELAY`.  `Reconnector` reports through two callbacks, so
the shell decides what to print.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

from qmpsh.core.errors import QmpshError
from qmpsh.wire.connection import Connection
from qmpsh.wire.state import ConnState
from qmpsh.wire.transport import Transport

MAX_DELAY = 30.0

Reopen = Callable[[Connection], Awaitable[None]]


def reopener(transport: Transport, timeout: float | None) -> Reopen | None:
    """How a lost connection comes back: `Connection.connect` through
    *transport* again, within *timeout*; None when the transport cannot be
    reopened (QEMU connected to us: ``--listen``, ``wrap``)."""
    if not transport.reopens:
        return None

    async def reopen(conn: Connection) -> None:
        await conn.connect(transport, timeout)

    return reopen


def backoff(delay: float, attempt: int) -> float:
    """Seconds to wait before attempt number *attempt* (from 1)."""
    wait: float = max(delay, 0.0) * 2.0 ** (attempt - 1)
    return min(wait, max(MAX_DELAY, delay))


class Reconnector:
    def __init__(
        self,
        conn: Connection,
        reopen: Reopen,
        retries: int,
        delay: float,
        on_change: Callable[[], None],
        on_done: Callable[[bool, str], None],
    ) -> None:
        self.conn = conn
        self.reopen = reopen
        self.retries = retries
        self.delay = delay
        self.on_change = on_change
        self.on_done = on_done
        self.attempt = 0
        #: monotonic time of the next attempt, or None while one runs
        self.next_at: float | None = None
        self._task: asyncio.Task[None] | None = None
        self._skip = asyncio.Event()

    @property
    def active(self) -> bool:
        return self._task is not None and not self._task.done()

    def status(self) -> str:
        """For the toolbar: ``reconnecting 2/5 in 3s``, or "" when idle."""
        if not self.active:
            return ""
        where = f"{self.attempt}/{self.retries}"
        if self.next_at is None:
            return f"reconnecting {where}"
        left = max(0.0, self.next_at - time.monotonic())
        return f"reconnecting {where} in {left:.0f}s"

    def start(self) -> None:
        """Begin the attempts (again); or, while waiting, try right now."""
        if self.active:
            self._skip.set()
            return
        if self.retries <= 0:
            return
        self._task = asyncio.ensure_future(self._run())

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _run(self) -> None:
        last = ""
        for attempt in range(1, self.retries + 1):
            self.attempt = attempt
            self.next_at = time.monotonic() + backoff(self.delay, attempt)
            self._skip.clear()
            while (left := self.next_at - time.monotonic()) > 0:
                self.on_change()  # the countdown in the toolbar
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._skip.wait(), min(left, 0.5))
                if self._skip.is_set():
                    break
            self.next_at = None
            self.on_change()
            if self.conn.state == ConnState.CONNECTED:
                break
            self.conn.reset()
            try:
                await self.reopen(self.conn)
            except QmpshError as err:
                last = err.message
                continue
            break
        else:
            self._task = None
            self.on_done(False, last)
            return
        self._task = None
        self.on_done(True, "")
