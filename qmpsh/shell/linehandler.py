"""The REPL's line-handler injection point.

A mode that reads its own kind of line (HMP mode today) gives the REPL an
object with this shape; the REPL then sends every line to it instead of the
QMP shorthand parser, shows its prompt and asks it for completions.
"""

from __future__ import annotations

from typing import Protocol


class LineHandler(Protocol):
    def prompt(self) -> str:
        """The prompt to show, e.g. ``(qemu) ``."""

    async def handle(self, line: str, where: str = "") -> int:
        """Run one line, print what it prints; return an `Exit` code.
        Connection errors (`QmpshError`) propagate."""

    def candidates(self, text_before_cursor: str) -> list[str]:
        """Completion candidates for the word ending at the cursor."""

    def start_loading(self) -> None:
        """Fetch completion data in the background (called once at start;
        fetching it again after a reconnection is the handler's own job)."""
