"""The live event pane: the newest events, one line each (pure)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import islice

from prompt_toolkit.formatted_text import StyleAndTextTuples

from qmpsh.eventlog import Event
from qmpsh.render import event_line


def pane_lines(events: Iterable[Event], height: int) -> StyleAndTextTuples:
    """The newest *height* events, oldest at the top: time, name, data."""
    newest = list(events)[-height:] if height > 0 else []
    out: StyleAndTextTuples = []
    if not newest:
        return [("class:events.empty", " no events yet")]
    for i, event in enumerate(newest):
        line = event_line(event.message, event.time)
        clock, _, rest = line.partition(" ")
        name, _, data = rest.partition(" ")
        if i:
            out.append(("", "\n"))
        out.append(("class:events.time", clock + " "))
        out.append(("class:events.name", name))
        if data:
            out.append(("class:events.data", " " + data))
    return out


def newest(
    events: Iterable[Event], keep: Callable[[Event], bool], height: int
) -> list[Event]:
    """The newest *height* of *events* (oldest first) that *keep* keeps,
    oldest first.  Looked for from the newest back, so that a redraw costs
    about the pane's height rather than the whole history's length."""
    found = list(islice(filter(keep, reversed(tuple(events))), max(height, 0)))
    found.reverse()
    return found


def pane_title(count: int, height: int) -> str:
    shown = f"newest {height} of {count}" if count > height else str(count)
    return f"── events ({shown}) · F4 hides · Alt-Up/Down resizes "
