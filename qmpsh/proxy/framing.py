"""Splitting a client's byte stream into JSON texts, as QEMU's JSON
streamer does (pure).

A QMP client need not end a request with a newline: ``qemu.qmp`` writes
one object after another (``{...}{...}``), qmp-shell and socat one per line.
`Splitter` follows the nesting of ``{}`` and ``[]`` (outside strings) and
hands over each complete top-level value as text; what stands at the top
level and does not open one (``hello``, a stray ``}``) is garbage, handed
over up to the end of its line so that the caller answers it with one error,
as QEMU does.  A text longer than the limit (in characters) is reported once (`TooLong`):
its client cannot be followed any more and is dropped.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass
from typing import Any

#: the characters that matter outside a string, and inside one
_OUTSIDE = re.compile(r'[{}\[\]"]')
_INSIDE = re.compile(r'["\\]')
_SPACE = " \t\r\n"
_DECODER = json.JSONDecoder()
#: a chunk the fast path did not parse
UNPARSED: Any = object()


class TooLong(Exception):
    """A JSON text (or a line of garbage) longer than the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"a message longer than {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class Chunk:
    """One piece of the stream: a whole JSON value (*garbage* False: it
    may still fail to parse; *value*: it, when parsed already), or a line
    that opens none."""

    data: str
    garbage: bool = False
    value: Any = UNPARSED


class Splitter:
    """Feed it bytes; it returns the complete chunks so far.

    The bytes are read as UTF-8 (what is not is kept as lone surrogates,
    which QEMU then refuses); a complete object is parsed on the way when
    it can be (`Chunk.value`), the common case, and the nesting is
    followed only for what is incomplete or wrong."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._utf8 = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self._buf = ""
        #: where the pending value starts in `_buf`, where scanning resumes,
        #: and the state there
        self._start = 0
        self._pos = 0
        self._depth = 0
        self._in_string = False

    def feed(self, data: bytes) -> list[Chunk]:
        """The chunks *data* completes; raises `TooLong` when what is
        pending is longer than the limit."""
        text = self._utf8.decode(data)
        self._buf = self._buf[self._start :] + text if self._start else self._buf + text
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
            if buf[start] not in "{[":
                end = buf.find("\n", start)
                if end < 0:
                    return None
                self._start = self._pos = end + 1
                return Chunk(buf[start:end].rstrip("\r"), garbage=True)
            if buf[start] == "{":  # the fast path: a whole object
                try:
                    value, end = _DECODER.raw_decode(buf, start)
                except (ValueError, RecursionError):
                    pass  # incomplete, or wrong: the scan tells
                else:
                    self._start = self._pos = end
                    return Chunk(buf[start:end], value=value)
        stop = self._scan(buf)
        if stop is None:
            return None
        chunk = Chunk(buf[self._start : stop])
        self._start = self._pos = stop
        return chunk

    def _scan(self, buf: str) -> int | None:
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
                if match.group() == "\\":
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
            if byte == '"':
                in_string = True
            elif byte in "{[":
                depth += 1
            else:
                depth -= 1
                if depth == 0:
                    self._depth, self._in_string = 0, False
                    return pos
        self._pos, self._depth, self._in_string = pos, depth, in_string
        return None


def _skip_space(buf: str, pos: int) -> int:
    size = len(buf)
    while pos < size and buf[pos] in _SPACE:
        pos += 1
    return pos
