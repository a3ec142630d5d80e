"""What the shell shows around its input besides replies, and the keys
that change it.

`Display` holds the events the shell shows (inline, or in the pane: which
the filter lets through, how many, how many lines the screen has room
for), redraws the screen for what changes in the background (events, job
progress) at a bounded rate, and does what the toggle keys ask (F2
compact/pretty, F3 verbose, F4 events, the pane's height, F5 emacs/vi) to
the shell's `qmpsh.shell.toggles.Toggles`.  The layout and the key
bindings read and call it through `qmpsh.shell.state.Shell.display`.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from prompt_toolkit.enums import EditingMode

from qmpsh.shell.eventpane import ShownCount, marked_line

if TYPE_CHECKING:
    from qmpsh.shell.state import Shell
    from qmpsh.wire.eventlog import Event, EventLog

#: seconds between two redraws for background changes (events, job progress)
BACKGROUND_REDRAW = 0.05


class Display:
    """The events shown and the toggles' keys, for one shell."""

    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        #: the events the pane shows and counts: the connection's; in a
        #: shell open on several targets, their merged copy (`qmpsh.shell.fleet`)
        self.events: EventLog = shell.ctx.events
        #: the most event lines the screen has room for (see
        #: `qmpsh.shell.eventpane.pane_room`), as of the last redraw; None before
        self.pane_room: int | None = None
        self._shown = ShownCount()
        self._redraw_due = False

    # -- events --------------------------------------------------------------

    def shown(self, event: Event) -> bool:
        """Whether the pane (or inline display) shows *event*."""
        keep = self.shell.hooks.event_filter
        return keep is None or keep(event)

    def event_counts(self) -> tuple[int, int]:
        """(events held, how many of them `shown` lets through), for the
        pane's title; counted over the history only when the filter in
        force has changed."""
        events = self.events
        return len(events), self._shown.count(events, self.shown, self._filter())

    def _filter(self) -> object:
        """Names the event filter `shown` applies."""
        key = self.shell.hooks.event_filter_key
        return None if key is None else key()

    def on_event(self, event: Event) -> None:
        """An event has arrived: counted, and shown as the toggle says."""
        shown = self.shown(event)
        self._shown.arrived(event, shown, self._filter())
        if not shown:
            return
        events = self.shell.toggles.events
        if events == "inline":
            self.shell.printer.block(marked_line(event))
        elif events == "pane":
            self.redraw_soon()

    def redraw_soon(self) -> None:
        """Redraw for something that happened in the background (events, job
        progress): at most once per BACKGROUND_REDRAW seconds, so that a flood
        cannot keep the screen busy; keystrokes still redraw at once."""
        if not self._redraw_due:
            self._redraw_due = True
            asyncio.get_running_loop().call_later(BACKGROUND_REDRAW, self._redraw)

    def _redraw(self) -> None:
        self._redraw_due = False
        self.shell.invalidate()

    # -- the toggles' keys ---------------------------------------------------

    def toggle_pretty(self) -> None:
        toggles = self.shell.toggles
        toggles.pretty = not toggles.pretty

    def toggle_verbose(self) -> None:
        toggles = self.shell.toggles
        toggles.verbose = not toggles.verbose

    def cycle_events(self) -> None:
        self.shell.toggles.cycle_events()

    def resize_pane(self, delta: int) -> None:
        toggles = self.shell.toggles
        if toggles.events != "pane":
            toggles.events = "pane"
        elif delta > 0 and self._pane_full():
            self.shell.say("note", "no room for a taller event pane on this screen")
        else:
            toggles.resize(delta, self.pane_room)

    def _pane_full(self) -> bool:
        """Whether the pane shows all the lines the screen has room for."""
        return self.pane_room is not None and (
            self.shell.toggles.pane_height >= self.pane_room
        )

    def toggle_vi(self) -> None:
        toggles, app = self.shell.toggles, self.shell.app
        toggles.vi = not toggles.vi
        if app is not None:
            app.editing_mode = EditingMode.VI if toggles.vi else EditingMode.EMACS
