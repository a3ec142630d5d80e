"""Splitting a client's byte stream into JSON texts, as QEMU's JSON
streamer does (pure).

A QMP client need not end a request with a newline: ``qemu.qmp`` writes
one object after another (``{...}{...}``), qmp-shell and socat one per line.
`Splitter` follows the nesting of ``{}`` and ``[]`` (outside strings) and
hands over each complete top-level value as bytes; what stands at the top
level and does not open one (``hello``, a stray ``}``) is garbage, handed
over up to the end of its line so that the caller answers it with one error,
as QEMU does.  A text longer than the limit is reported once (`TooLong`):
its client cannot be followed any more and is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: the bytes that matter outside a string, and inside one
_OUTSIDE = re.compile(rb'[{}\[\]"]')
_INSIDE = re.compile(rb'["\\]')
_SPACE = b" \t\r\n"


class TooLong(Exception):
    """A JSON text (or a line of garbage) longer than the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"a message longer than {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class Chunk:
    """One piece of the stream: a whole JSON value (*garbage* False: it
    may still fail to parse), or a line that opens none."""

    data: bytes
    garbage: bool = False


class Splitter:
    """Feed it bytes; it returns the complete chunks so far."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._buf = b""
        #: where the pending value starts in `_buf`, where scanning resumes,
        #: and the state there
        self._start = 0
        self._pos = 0
        self._depth = 0
        self._in_string = False

    def feed(self, data: bytes) -> list[Chunk]:
        """The chunks *data* completes; raises `TooLong` when what is
        pending is longer than the limit."""
        self._buf = self._buf[self._start :] + data if self._start else self._buf + data
        self._pos -= self._start
        self._start = 0
        out: list[Chunk] = []
        while True:
            chunk = self._next()
            if chunk is None:
                break
            out.append(chunk)
        if len(self._buf) - self._start > self.limit:
            raise TooLong(self.limit)
        return out

    def _next(self) -> Chunk | None:
        buf = self._buf
        if self._depth == 0 and not self._in_string:
            start = _skip_space(buf, self._start)
            self._start = self._pos = start
            if start == len(buf):
                return None
            if buf[start] not in b"{[":
                end = buf.find(b"\n", start)
                if end < 0:
                    return None
                self._start = self._pos = end + 1
                return Chunk(buf[start:end].rstrip(b"\r"), garbage=True)
        stop = self._scan(buf)
        if stop is None:
            return None
        chunk = Chunk(buf[self._start : stop])
        self._start = self._pos = stop
        return chunk

    def _scan(self, buf: bytes) -> int | None:
        """Where the value starting at `_start` ends, or None (more is
        needed: the state is kept for the next call)."""
        pos = self._pos
        depth, in_string = self._depth, self._in_string
        size = len(buf)
        while pos < size:
            if in_string:
                match = _INSIDE.search(buf, pos)
                if match is None:
                    pos = size
                    break
                pos = match.end()
                if match.group() == b"\\":
                    if pos >= size:  # the escaped byte has not come yet
                        pos -= 1
                        break
                    pos += 1
                else:
                    in_string = False
                continue
            match = _OUTSIDE.search(buf, pos)
            if match is None:
                pos = size
                break
            pos = match.end()
            byte = match.group()
            if byte == b'"':
                in_string = True
            elif byte in b"{[":
                depth += 1
            else:
                depth -= 1
                if depth == 0:
                    self._depth, self._in_string = 0, False
                    return pos
        self._pos, self._depth, self._in_string = pos, depth, in_string
        return None


def _skip_space(buf: bytes, pos: int) -> int:
    size = len(buf)
    while pos < size and buf[pos] in _SPACE:
        pos += 1
    return pos
