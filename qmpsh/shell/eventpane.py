"""The live event pane: the newest events, one line each, and its title.

The functions are pure; `ShownCount` keeps, for the title, how many events
of the history the event filter lets through, without looking at the whole
history on every redraw.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Reversible
from itertools import islice

from prompt_toolkit.formatted_text import StyleAndTextTuples

from qmpsh.core.render import event_line
from qmpsh.wire.eventlog import Event, EventLog

#: the key under which a shell open on several targets marks, in its merged
#: copy of an event's message, the target it came from (set by the shell
#: itself, over whatever the server sent under that key)
TARGET = "qmpsh-target"


def event_target(event: Event) -> str | None:
    """The target *event* came from, in a shell open on several; else None."""
    target = event.message.get(TARGET)
    return target if isinstance(target, str) else None


def marked_line(event: Event) -> str:
    """*event* on one line (`event_line`), with its target after the time
    in a shell open on several (``10:41:07.512 [vm2] STOP``)."""
    line = event_line(event.message, event.time)
    target = event_target(event)
    if target is None:
        return line
    clock, _, rest = line.partition(" ")
    return f"{clock} [{target}] {rest}"


def pane_lines(
    events: Iterable[Event], height: int, hidden: int = 0
) -> StyleAndTextTuples:
    """The newest *height* events, oldest at the top: time, name, data.
    *hidden*: how many events the filter hid (said when none is left)."""
    newest = list(events)[-height:] if height > 0 else []
    out: StyleAndTextTuples = []
    if not newest:
        if hidden:
            return [("class:events.empty", f" the event filter hides all {hidden}")]
        return [("class:events.empty", " no events yet")]
    for i, event in enumerate(newest):
        line = event_line(event.message, event.time)
        clock, _, rest = line.partition(" ")
        name, _, data = rest.partition(" ")
        if i:
            out.append(("", "\n"))
        out.append(("class:events.time", clock + " "))
        target = event_target(event)
        if target is not None:
            out.append(("class:events.target", f"[{target}] "))
        out.append(("class:events.name", name))
        if data:
            out.append(("class:events.data", " " + data))
    return out


def newest(
    events: Reversible[Event], keep: Callable[[Event], bool], height: int
) -> list[Event]:
    """The newest *height* of *events* (oldest first) that *keep* keeps,
    oldest first.  Looked for from the newest back, so that a redraw costs
    about the pane's height rather than the whole history's length."""
    found = list(islice(filter(keep, reversed(events)), max(height, 0)))
    found.reverse()
    return found


def pane_title(count: int, height: int, shown: int | None = None) -> str:
    """The pane's title: *count* events held, *shown* of them (None: all)
    through the event filter, the newest *height* of those in the pane."""
    if shown is None or shown >= count:
        what = f"newest {height} of {count}" if count > height else str(count)
    elif shown > height:
        what = f"newest {height} of {shown} matching, {count} in all"
    else:
        what = f"{shown} of {count} shown"
    # F4 goes pane -> inline -> off (see qmpsh.shell.bindings): from the pane, inline
    return f"── events ({what}) · F4 moves them inline · Alt-Up/Down resizes "


#: the screen rows the layout always needs besides the pane: one input line
#: and the toolbar
BASE_ROWS = 2


def pane_room(rows: int, others: int) -> int:
    """How many event lines the pane may show on a screen *rows* high, when
    the rest of the layout (input, hint or message, live area, toolbar) takes
    *others* rows now; 0: no pane (its title neither).

    The pane gives way first: it takes what is left under its title line,
    and never more than leaves a third of the screen above the layout for
    replies and warnings (that bound does not move while a hint or message
    line comes and goes under a one-line input)."""
    most = rows - rows // 3 - BASE_ROWS - 1
    left = rows - others - 1
    return max(0, min(most, left))


_UNSET = object()


class ShownCount:
    """How many events of an `EventLog` a filter keeps, for the pane's title.

    Counted over the history once per filter (when `count` is given a new
    *key*), then kept up to date: `arrived` is told of each event as it
    comes (one that comes under another filter makes the next `count` count
    again), and the events the bounded history has let go are taken off the
    front.  The kept events' sequence numbers are held as runs, so without a
    filter (or with one that hides little) this stays a few numbers.
    """

    def __init__(self) -> None:
        self._key: object = _UNSET
        #: runs ``[first, last + 1]`` of kept sequence numbers, oldest first
        self._runs: deque[list[int]] = deque()
        self._total = 0

    def arrived(self, event: Event, kept: bool, key: object) -> None:
        """*event* arrived; *kept*: the filter named *key* keeps it."""
        if key is not self._key and key != self._key:
            self._key = _UNSET  # the filter changed since the last count
        elif kept:
            self._add(event.seq)

    def _add(self, seq: int) -> None:
        runs = self._runs
        if runs and seq == runs[-1][1]:
            runs[-1][1] = seq + 1
        elif not runs or seq > runs[-1][1]:
            runs.append([seq, seq + 1])
        else:
            return  # counted already
        self._total += 1

    def count(
        self, events: EventLog, keep: Callable[[Event], bool], key: object
    ) -> int:
        """How many of *events* *keep* keeps; *key* names the filter (equal
        keys: the same filter, so no need to count again)."""
        runs = self._runs
        if key is not self._key and key != self._key:
            self._key = key
            runs.clear()
            self._total = 0
            for event in events:
                if keep(event):
                    self._add(event.seq)
        oldest = events.oldest
        while runs and runs[0][0] < oldest:
            first = runs[0]
            if first[1] <= oldest:
                self._total -= first[1] - first[0]
                runs.popleft()
            else:
                self._total -= oldest - first[0]
                first[0] = oldest
        return self._total
