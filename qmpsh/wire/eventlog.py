"""The bounded history of QMP events seen on a connection.

Every event gets a sequence number.  The history is a ring (old events fall
off the front), so memory stays flat under an event flood; listeners are
called synchronously as each event arrives, in arrival order.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from qmpsh.core.listeners import Listeners
from qmpsh.core.settings import DEFAULTS

DEFAULT_HISTORY = DEFAULTS.event_history


class Event(NamedTuple):
    seq: int
    #: the QMP message itself: {"event": ..., "data": ..., "timestamp": ...}
    message: dict[str, Any]
    #: wall-clock time (seconds since the epoch) when it was received
    received: float

    @property
    def name(self) -> str:
        name = self.message.get("event")
        return name if isinstance(name, str) else "?"

    @property
    def time(self) -> float:
        """The server's timestamp, or the time of arrival if it has none."""
        stamp = self.message.get("timestamp")
        if isinstance(stamp, dict):
            sec, usec = stamp.get("seconds"), stamp.get("microseconds")
            if isinstance(sec, int) and isinstance(usec, int):
                return sec + usec / 1e6
        return self.received


Listener = Callable[[Event], None]


class EventLog:
    def __init__(self, maxlen: int = DEFAULT_HISTORY) -> None:
        self._ring: deque[Event] = deque(maxlen=maxlen)
        self._listeners: Listeners[[Event]] = Listeners()
        #: sequence number of the newest event (0: none yet)
        self.seq = 0
        #: told when a listener fails (the connection makes it a warning)
        self.on_error: Callable[[str], None] = _ignore

    def append(self, message: dict[str, Any]) -> Event:
        self.seq += 1
        event = Event(self.seq, message, time.time())
        self._ring.append(event)
        for listener in self._listeners:
            try:
                listener(event)
            except Exception as err:
                # Listeners run inside the connection's reader: one that
                # fails must not take the connection down with it.
                self.on_error(
                    f"handling the event {event.name} failed: "
                    f"{type(err).__name__}: {err}"
                )
        return event

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call *listener* for each new event; returns the unsubscribe call."""
        return self._listeners.add(listener)

    def since(self, seq: int) -> list[Event]:
        """The events still held whose number is above *seq*, oldest first."""
        return [e for e in self._ring if e.seq > seq]

    def __iter__(self) -> Iterator[Event]:
        return iter(tuple(self._ring))

    def __reversed__(self) -> Iterator[Event]:
        """Newest first, without copying the history: consume it at once
        (an event arriving meanwhile would end the iteration with an error)."""
        yield from reversed(self._ring)

    def __len__(self) -> int:
        return len(self._ring)

    @property
    def oldest(self) -> int:
        """The sequence number of the oldest event still held (the next
        one's, when none is)."""
        return self._ring[0].seq if self._ring else self.seq + 1

    def clear(self) -> None:
        self._ring.clear()


def _ignore(text: str) -> None:
    pass
