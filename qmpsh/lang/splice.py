"""Text rewritten in pieces, with the way back to where each piece came from.

Variable references (`qmpsh.lang.variables`) and aliases
(`qmpsh.lang.aliases`) rewrite a line before it is parsed; an error the
parser finds in the rewritten text must still point at the column the user
typed.  A `Splice` is built piece by piece: a piece copied from the typed
text maps back character for character, a piece put in its place (a value,
an alias's body) maps back to where what it replaces starts.  Pure.
"""

from __future__ import annotations


class Splice:
    """The rewritten text, made with `copy` and `put`, and `origin`."""

    __slots__ = ("_new", "_old", "_parts", "_size", "_typed", "_verbatim")

    def __init__(self, typed: str) -> None:
        #: the typed text, which the pieces come from
        self._typed = typed
        self._parts: list[str] = []
        #: for each piece: where it starts in the new text and in the old,
        #: and whether it is copied (maps back character for character)
        self._new: list[int] = []
        self._old: list[int] = []
        self._verbatim: list[bool] = []
        self._size = 0

    def copy(self, start: int, end: int | None = None) -> None:
        """The typed text from *start* to *end* (its end), as it is."""
        end = len(self._typed) if end is None else end
        if end > start:
            self._add(self._typed[start:end], start, True)

    def put(self, text: str, at: int) -> None:
        """*text* in place of what the typed text has at *at*."""
        if text:
            self._add(text, at, False)

    def _add(self, text: str, old: int, verbatim: bool) -> None:
        self._new.append(self._size)
        self._old.append(old)
        self._verbatim.append(verbatim)
        self._parts.append(text)
        self._size += len(text)

    @property
    def text(self) -> str:
        return "".join(self._parts)

    def origin(self, offset: int) -> int:
        """Where *offset* of the new text came from in the typed one."""
        if offset >= self._size:
            return len(self._typed) + (offset - self._size)
        from bisect import bisect_right  # on an error's path only

        i = bisect_right(self._new, offset) - 1
        if i < 0:
            return offset
        if self._verbatim[i]:
            return self._old[i] + (offset - self._new[i])
        return self._old[i]
