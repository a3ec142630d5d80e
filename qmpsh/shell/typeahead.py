"""What the shell says about lines typed while a command runs (pure)."""

from __future__ import annotations

from collections.abc import Sequence


def first_line(text: str, width: int = 40) -> str:
    """The first line of *text*, cut to *width*; ``...`` says what is left out."""
    lines = text.strip().split("\n")
    line = lines[0]
    if len(line) > width:
        return line[: width - 3] + "..."
    return line + " ..." if len(lines) > 1 else line


def listing(lines: Sequence[str], most: int = 3) -> str:
    """The first lines of a few of *lines*, for one line of text."""
    shown = "; ".join(first_line(text) for text in list(lines)[:most])
    return shown + (f"; and {len(lines) - most} more" if len(lines) > most else "")


def queued_note(lines: Sequence[str]) -> str:
    """The line under the input while lines wait for the running command."""
    return f"queued ({len(lines)}): {listing(lines)} (Ctrl-C drops them)"


def dropped_note(lines: Sequence[str]) -> str:
    """What Ctrl-C cost: the queued lines it dropped."""
    count = f"{len(lines)} queued line{'s' if len(lines) != 1 else ''}"
    return f"dropped {count}: {listing(lines)}"
