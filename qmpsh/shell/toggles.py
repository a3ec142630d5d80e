"""What the user switches at run time in the shell (pure state)."""

from __future__ import annotations

from dataclasses import dataclass

EVENT_MODES = ("pane", "inline", "off")
#: the tallest event pane: what --pane-height and the config file allow
PANE_MAX = 100


@dataclass
class Toggles:
    """What the user can switch at run time (starting from the settings)."""

    pretty: bool
    verbose: bool
    events: str
    pane_height: int
    vi: bool

    def cycle_events(self) -> str:
        self.events = EVENT_MODES[
            (EVENT_MODES.index(self.events) + 1) % len(EVENT_MODES)
        ]
        return self.events

    def resize(self, delta: int, room: int | None = None) -> int:
        """Make the pane *delta* lines taller (or shorter); the new height.
        *room*: the most lines the screen has for the pane (None: no bound
        but PANE_MAX); a pane taller than that shows *room* lines, so it
        resizes from there, and does not grow past it."""
        top = PANE_MAX if room is None else min(PANE_MAX, room)
        base = min(self.pane_height, max(top, 1))
        self.pane_height = max(1, min(top, base + delta))
        return self.pane_height
